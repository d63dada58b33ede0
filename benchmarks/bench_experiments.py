"""What experiments and processors cost on the pre-call path, measured in the same run (ratios, not times).

1. The pre-call hook through ``App.handle`` on the embedded store, for a remembered caller: the agent type as
   shipped (baseline) against the same agent type running two experiments and a rollout (assignment: three
   keyed hashes, then the cached settings of the caller's combination). Interleaved rounds, medians.
2. A pre-call processor under its time budget (it runs in a thread of its own so a slow one can be left behind)
   against calling the same processor directly.

    python benchmarks/bench_experiments.py [--runs 400] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared.config.models import AgentType  # noqa: E402
from shared.processors import PreCall  # noqa: E402
from shared.processors.runner import Processors  # noqa: E402
from shared.providers.base import CallerContext  # noqa: E402
from tests.conftest import TEST_SECRETS, elevenlabs_post_call, load_payload, sign_elevenlabs  # noqa: E402
from tests.experiments.helpers import EXPERIMENT, local_runtime, write_config  # noqa: E402

CALLER = "+15555550123"
WORKSPACE = {"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}
EXPERIMENTS = {
    "recall": EXPERIMENT,
    "tone": {
        "variants": {
            "a": {"weight": 1},
            "b": {"weight": 1, "overrides": {"response": {"static_variables": {"t": "w"}}}},
        }
    },
}
ROLLOUTS = {"longer": {"percent": 50, "overrides": {"memory": {"search_limit": 5}}}}


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def pre_call_rounds(runs: int, work: Path) -> dict[str, float]:
    """Median ms of the pre-call, as shipped and with experiments, interleaved in rounds of 20."""
    (work / "plain").mkdir()
    (work / "exp").mkdir()
    plain = local_runtime(write_config(work / "plain"), work / "plain-data")
    running = local_runtime(write_config(work / "exp", experiments=EXPERIMENTS, rollouts=ROLLOUTS), work / "exp-data")
    body = json.dumps(elevenlabs_post_call(caller=CALLER, conversation_id="bench-1")).encode()
    request = json.dumps({**load_payload("elevenlabs_client_data_request"), "caller_id": CALLER}).encode()
    for local in (plain, running):
        local.call("POST", "/post-call", body, {"ElevenLabs-Signature": sign_elevenlabs(body)})
        local.drain()
        assert local.call("POST", "/client-data", request, WORKSPACE).status == 200
    samples: dict[str, list[float]] = {"as shipped": [], "with experiments": []}
    for _ in range(max(1, runs // 20)):
        for name, local in (("as shipped", plain), ("with experiments", running)):
            for _ in range(20):
                samples[name].append(timed(lambda local=local: local.call("POST", "/client-data", request, WORKSPACE)))
    for local in (plain, running):
        local.runtime.store.close()
        local.queue.close()
    return {name: median_ms(values) for name, values in samples.items()}


class AddNote:
    def pre_call(self, call: PreCall) -> CallerContext:
        return replace(call.context, fields={**call.context.fields, "note": "x"})


def processor_rounds(runs: int) -> dict[str, float]:
    config = AgentType.model_validate({"provider": "generic", "processors": {"pre_call": ["note"]}})
    processors = Processors("bench", {"note": AddNote()})
    context = CallerContext(CALLER, CALLER, True, 3, 1, "s", "c", "Hi", {"caller_name": "Dana"})
    direct = AddNote()
    samples: dict[str, list[float]] = {"called directly": [], "under the budget": []}
    for _ in range(max(1, runs // 20)):
        for _ in range(20):
            samples["called directly"].append(timed(lambda: direct.pre_call(PreCall("note", "bench", context, []))))
            samples["under the budget"].append(timed(lambda: processors.pre_call(config, context, [])))
    return {name: median_ms(values) for name, values in samples.items()}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-experiments-") as tmp:
        pre = pre_call_rounds(args.runs, Path(tmp))
    proc = processor_rounds(args.runs)
    report = {
        "pre_call_ms": pre,
        "pre_call_ratio": round(pre["with experiments"] / pre["as shipped"], 3),
        "processor_ms": proc,
        "processor_overhead_ms": round(proc["under the budget"] - proc["called directly"], 4),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return report
    print(f"pre-call, as shipped (baseline):     {pre['as shipped']:.3f} ms")
    print(
        f"pre-call, 2 experiments + 1 rollout: {pre['with experiments']:.3f} ms  (ratio {report['pre_call_ratio']:.2f})"
    )
    print(f"pre-call processor called directly:  {proc['called directly'] * 1000:.1f} us (baseline)")
    print(
        f"pre-call processor under the budget: {proc['under the budget'] * 1000:.1f} us "
        f"(+{report['processor_overhead_ms'] * 1000:.0f} us: its own thread)"
    )
    return report


if __name__ == "__main__":
    main()
