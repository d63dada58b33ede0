"""Stack per tenant at scale: the program for 50 tenants under Pulumi's mocks, and the orchestrator's fan-out.

1. Program: each tenant's program (``infra.tenants.program.tenant_program``, the same ``run_program`` the stack
   runs) under Pulumi's mock runtime (``preview=False``, the infra tests' recording mocks), one mock run per
   tenant with its own stack name. Baseline in the same run: one tenant of each shape (agent type and cloud)
   alone, median of --runs after a warm-up. Prints the time per tenant over 50 tenants (median of each
   tenant's time relative to its shape alone, so a noisy shared machine moves both alike), its ratio to the
   baseline, the total, and checks every tenant declared its service and got its URLs.
2. Orchestrator: the 50 tenants through ``Orchestrator`` against the fake CLI of the tests (every update takes
   --op-ms), with ``parallel=1`` as the baseline and ``parallel=8``: the speed-up should approach 8.

    python benchmarks/bench_tenants.py [--tenants 50] [--runs 7] [--op-ms 100]

Targets: every tenant completes; time per tenant over N within 1.5x of one tenant alone (no growth with N);
orchestrator speed-up with 8 in parallel at least 4x.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pulumi  # noqa: E402
import pulumi.runtime  # noqa: E402
from pulumi.runtime.stack import wait_for_rpcs  # noqa: E402

from infra.bundle import Bundle, build_bundle  # noqa: E402
from infra.tenants.models import parse_tenants  # noqa: E402
from infra.tenants.orchestrator import Orchestrator  # noqa: E402
from infra.tenants.program import tenant_program  # noqa: E402
from infra.tenants.results import Operation  # noqa: E402
from infra.tenants.secrets import SecretResolver  # noqa: E402
from infra.tenants.stacks import TenantStack, plan_stacks  # noqa: E402
from shared.secrets import Secret  # noqa: E402
from tests.infra.mocks import PROJECT, RecordingMocks  # noqa: E402
from tests.tenants.fake_pulumi import FakePulumiCommand  # noqa: E402

TARGET_GROWTH = 1.5
TARGET_SPEEDUP = 4.0
SHAPES = [  # agent type, cloud, secrets it needs (mem0 backend by default)
    ("elevenlabs_customer_support", "aws", ["ELEVENLABS_WORKSPACE_KEY", "ELEVENLABS_HMAC_KEY"]),
    ("generic_voice_agent", "gcp", ["GENERIC_API_KEY"]),
    ("vapi_receptionist", "aws", ["VAPI_SECRET"]),
    ("retell_appointments", "gcp", ["RETELL_API_KEY"]),
    ("elevenlabs_sales_agent", "gcp", ["ELEVENLABS_WORKSPACE_KEY", "ELEVENLABS_HMAC_KEY"]),
]


def tenants_data(count: int) -> tuple[dict[str, Any], dict[str, str]]:
    """``count`` invented tenants cycling through the shapes, and the environment their references read."""
    tenants, environ = [], {}
    for index in range(count):
        agent_type, cloud, names = SHAPES[index % len(SHAPES)]
        tenant_id = f"tenant-{index:03d}"
        secrets = {}
        for name in [*names, "ADMIN_API_KEY", "MEM0_API_KEY"]:
            variable = f"T{index:03d}_{name}"
            secrets[name] = f"env:{variable}"
            environ[variable] = f"bench-{tenant_id}-{name.lower()}"
        entry: dict[str, Any] = {"id": tenant_id, "agent_type": agent_type, "cloud": cloud, "secrets": secrets}
        entry.update({"region": "us-east-1"} if cloud == "aws" else {"project": "am-bench", "region": "europe-west1"})
        tenants.append(entry)
    return {"version": 1, "tenants": tenants}, environ


def make_bundle(folder: Path) -> Bundle:
    built = build_bundle(folder)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("python/placeholder.txt", date_time=(1980, 1, 1, 0, 0, 0)), b"layer\n")
    layer = folder / "layer-bench.zip"
    layer.write_bytes(buffer.getvalue())
    return Bundle(built.code_zip, built.code_sha256, built.requirements_txt, layer)


def mock_run(stack: TenantStack, secrets: dict[str, Secret], bundle: Bundle) -> tuple[dict[str, Any], int, float]:
    """One tenant's program, alone in Pulumi's mock runtime; its outputs, resource count and wall time."""
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack.name, preview=False)
    pulumi.runtime.set_all_config({})
    exports: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> pulumi.Output[None]:
        outputs = tenant_program(stack, secrets, bundle=bundle, export=False)()
        settled = pulumi.Output.from_input(asyncio.ensure_future(wait_for_rpcs(await_all_outstanding_tasks=False)))
        return pulumi.Output.all(settled, pulumi.Output.all(**outputs)).apply(lambda values: exports.update(values[1]))

    started = time.perf_counter()
    program()
    return exports, len(mocks.resources), time.perf_counter() - started


def bench_program(stacks: list[TenantStack], secrets: dict[str, dict[str, Secret]], bundle: Bundle, runs: int) -> bool:
    def timed(stack: TenantStack) -> tuple[dict[str, Any], int, float]:
        gc.collect()  # outside the timing, before every run alike: collections of the last run's graph are noise
        return mock_run(stack, secrets[stack.name], bundle)

    shapes = stacks[: len(SHAPES)]
    for stack in shapes:  # first use of each provider's modules is not what we measure
        timed(stack)
    alone = {stack.tenant.agent_type: statistics.median(timed(stack)[2] for _ in range(runs)) for stack in shapes}

    results = [timed(stack) for stack in stacks]
    total = sum(seconds for _, _, seconds in results)  # the mock runs themselves, not the collections between them
    complete = [
        stack.name
        for stack, (exports, count, _) in zip(stacks, results, strict=True)
        if count > 0
        and str(exports.get("preCallUrl", "")).startswith("https://")
        and exports.get("agentType") == stack.tenant.agent_type
    ]
    # the baseline for the same mix of shapes: each tenant's shape measured alone
    baseline = statistics.mean(alone[stack.tenant.agent_type] for stack in stacks)
    per_tenant = (
        statistics.median(
            seconds / alone[stack.tenant.agent_type] for stack, (_, _, seconds) in zip(stacks, results, strict=True)
        )
        * baseline
    )
    resources = sum(count for _, count, _ in results)
    growth = per_tenant / baseline
    print(f"program under mocks ({len(stacks)} tenants, {resources} resources declared)")
    for agent_type, seconds in alone.items():
        print(f"  one tenant alone, {agent_type:<30} {seconds * 1000:8.1f} ms  (median of {runs})")
    print(f"  baseline for this mix of tenants           {baseline * 1000:8.1f} ms")
    print(
        f"  per tenant over {len(stacks)} tenants (median)       {per_tenant * 1000:8.1f} ms   "
        f"({growth:.2f}x baseline, target <= {TARGET_GROWTH}x)"
    )
    average = total / len(stacks) * 1000
    print(f"  all {len(stacks)} tenants                            {total:8.2f} s   ({average:.1f} ms each on average)")
    print(f"  completed                                  {len(complete)}/{len(stacks)}")
    return len(complete) == len(stacks) and growth <= TARGET_GROWTH


def bench_orchestrator(stacks: list[TenantStack], secrets: dict[str, dict[str, Secret]], op_seconds: float) -> bool:
    timings = {}
    for parallel in (1, 8):
        work_dir = Path(tempfile.mkdtemp(prefix="bench-tenants-"))
        shutil.copy(ROOT / "Pulumi.yaml", work_dir)
        command = FakePulumiCommand(op_seconds=op_seconds)
        orchestrator = Orchestrator(command, work_dir, parallel=parallel, log_dir=work_dir / "logs")
        started = time.perf_counter()
        report = orchestrator.run(Operation.UP, stacks, secrets)
        timings[parallel] = time.perf_counter() - started
        assert report.exit_code == 0 and command.max_in_flight <= parallel
        shutil.rmtree(work_dir)
    speedup = timings[1] / timings[8]
    print(f"orchestrator `up` over {len(stacks)} tenants (fake CLI, {op_seconds * 1000:.0f} ms per update)")
    print(f"  parallel 1 (baseline)                      {timings[1]:8.2f} s")
    print(
        f"  parallel 8                                 {timings[8]:8.2f} s   "
        f"({speedup:.1f}x faster, target >= {TARGET_SPEEDUP}x)"
    )
    return speedup >= TARGET_SPEEDUP


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--op-ms", type=float, default=100.0)
    options = parser.parse_args()
    data, environ = tenants_data(max(options.tenants, 2))
    tenants_file = parse_tenants(data)
    stacks = plan_stacks(tenants_file, tenants_file.tenants, project=PROJECT)
    secrets = SecretResolver(environ=environ).resolve_all(tenants_file.tenants)
    orchestrator_ok = bench_orchestrator(stacks, secrets, options.op_ms / 1000)
    with tempfile.TemporaryDirectory(prefix="bench-bundle-") as folder:
        bundle = make_bundle(Path(folder))
        program_ok = bench_program(stacks, secrets, bundle, options.runs)
    ok = program_ok and orchestrator_ok
    print("OK" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
