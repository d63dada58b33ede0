"""Times one fresh interpreter that prints its own in-process milliseconds (seconds, as its last word)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed_run(argv: list[str], env: dict[str, str], cwd: Path = ROOT) -> tuple[float, float]:
    """(milliseconds the process measured inside itself, milliseconds of the whole process from outside)."""
    started = time.perf_counter()
    out = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if out.returncode:
        raise SystemExit(out.stderr[-2000:])
    return float(out.stdout.split()[-1]) * 1000, wall * 1000
