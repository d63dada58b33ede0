"""Cold start on the pre-call path with the mem0 backend, beside importing mem0ai's own client.

Each sample is a fresh interpreter (as a cold Lambda or Cloud Function is): one imports ``shared.runtime`` and
builds the whole runtime with ``MEMORY_BACKEND=mem0`` (Mem0MemoryStore included, no network call); the other
runs ``from mem0 import MemoryClient``. Both are timed inside the process (import + build) and as whole
processes (interpreter start included). Prints medians and the ratio; target: at most 0.4x.

    python benchmarks/bench_mem0_import.py [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

OURS = """
import time
started = time.perf_counter()
from pathlib import Path
from shared.ingest.local import FileArchive, SqliteQueue
from shared.runtime import build_runtime
from shared.secrets import EnvSecrets
from shared.settings import Settings
data = Path({data!r})
settings = Settings.from_environ({{"AGENT_TYPE": "elevenlabs_customer_support", "MEMORY_BACKEND": "mem0",
                                   "MEM0_HOST": "http://127.0.0.1:9", "AGENTIC_MEMORY_DATA_DIR": str(data)}})
secrets = EnvSecrets({{"MEM0_API_KEY": "m0-bench", "ELEVENLABS_WORKSPACE_KEY": "k", "ELEVENLABS_HMAC_KEY": "h",
                      "ADMIN_API_KEY": "bench-admin-key-0123456789",
                      "PSEUDONYMIZATION_KEY": "bench-pseudonymization-key-0123456789",
                      "CALLER_REF_KEY": "bench-caller-ref-key-0123456789abcdef"}})
archive, queue = FileArchive(data / "archive"), SqliteQueue(data / "q.db")
runtime = build_runtime(settings, secrets=secrets, archive=archive, queue=queue)
assert type(runtime.store).__name__ == "Mem0MemoryStore"
elapsed = time.perf_counter() - started
import sys
assert "mem0" not in sys.modules, "the mem0 backend must not import mem0ai"
print(elapsed, len(sys.modules))
"""

THEIRS = """
import time
started = time.perf_counter()
from mem0 import MemoryClient
elapsed = time.perf_counter() - started
import sys
print(elapsed, len(sys.modules))
"""


def sample(code: str, env: dict[str, str]) -> tuple[float, float, int]:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    inside, modules = out.stdout.split()
    return float(inside), wall, int(modules)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "MEM0_TELEMETRY": "False", "MEM0_DIR": str(Path(tmp) / "mem0")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        sample(THEIRS, env)  # warm the bytecode caches for both, so neither pays compilation
        sample(OURS.format(data=str(Path(tmp) / "warm")), env)
        ours, theirs = [], []
        for run in range(runs):  # interleaved, so machine noise hits both alike
            ours.append(sample(OURS.format(data=str(Path(tmp) / f"run{run}")), env))
            theirs.append(sample(THEIRS, env))

    def median(rows: list[tuple[float, float, int]], column: int) -> float:
        return statistics.median(row[column] for row in rows)

    print(f"fresh interpreters, median of {runs} (python {sys.version.split()[0]})")
    print(f"{'':44} {'in-process':>11} {'whole process':>14} {'modules':>8}")
    for label, rows in (
        ("pre-call runtime, MEMORY_BACKEND=mem0", ours),
        ("from mem0 import MemoryClient", theirs),
    ):
        print(f"{label:44} {median(rows, 0) * 1000:9.0f}ms {median(rows, 1) * 1000:12.0f}ms {median(rows, 2):8.0f}")
    ratio_inside = median(ours, 0) / median(theirs, 0)
    ratio_wall = median(ours, 1) / median(theirs, 1)
    print(f"ratio (ours / mem0ai): in-process {ratio_inside:.2f}x, whole process {ratio_wall:.2f}x; target <= 0.40x")


if __name__ == "__main__":
    main()
