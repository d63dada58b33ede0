"""The serve benchmark: its arithmetic and verdicts, and a quick run against a real ``serve`` subprocess.

Nothing here asserts a time or a ratio (machines are noisy): the smoke run proves the benchmark measures a
working service (every request answered 2xx, every acknowledged post-call event processed) and reports every
target.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.bench_serve import BASELINE, MEASURED, THROUGHPUT_RATIO_MIN, evaluate, rotated
from benchmarks.loadgen import Endpoint, Result
from benchmarks.serve_data import QUERIES, RECALL_QUESTIONS, RequestFactory, recall_questions

ROOT = Path(__file__).resolve().parents[2]


def result(
    name: str, latencies_ms: list[float], *, elapsed: float = 1.0, statuses: dict[int, int] | None = None
) -> Result:
    made = Result(name, latencies=[ms / 1000 for ms in latencies_ms], elapsed=elapsed)
    made.statuses.update(statuses or {200: len(latencies_ms)})
    return made


def test_percentiles_are_nearest_rank() -> None:
    sample = result("/healthz", [float(ms) for ms in range(1, 101)])
    assert sample.percentile(50) == pytest.approx(50.0)
    assert sample.percentile(99) == pytest.approx(99.0)
    assert sample.percentile(100) == pytest.approx(100.0)
    assert sample.throughput == 100


def test_merge_pools_slices() -> None:
    pooled = result("/retrieve", [1.0, 2.0], elapsed=2.0).merge(result("/retrieve", [3.0], elapsed=1.0))
    assert pooled.throughput == 1.0
    assert pooled.percentile(100) == pytest.approx(3.0)


def test_errors_count_non_2xx_and_transport_failures() -> None:
    sample = result("/post-call", [1.0, 1.0, 1.0], statuses={200: 1, 401: 1, 503: 1})
    sample.failures = 2
    assert sample.errors == 4


def _runs(p99: float, rps: float) -> tuple[dict[str, Result], dict[str, Result]]:
    open_results = {BASELINE: result(BASELINE, [1.0] * 98 + [2.0] * 2)}
    closed_results = {BASELINE: result(BASELINE, [1.0] * 1000)}
    for name in MEASURED:
        open_results[name] = result(name, [1.0] * 98 + [p99] * 2)
        closed_results[name] = result(name, [1.0] * int(1000 * rps))
    return open_results, closed_results


def test_targets_pass_and_fail_on_the_issue_thresholds() -> None:
    verdicts = {t.name: t.passed for t in evaluate(*_runs(p99=6.0, rps=0.6), rss_mb=249.0)}
    assert all(verdicts.values()), verdicts
    failing = evaluate(*_runs(p99=6.1, rps=0.59), rss_mb=250.0, logged=1)
    # /retrieve, which also ranks by meaning, is held to issue 12's 50%; the other routes to issue 2's 60%
    assert [t.passed for t in failing] == [False, False, True, False, False, True, False]
    slow = {t.name: t.passed for t in evaluate(*_runs(p99=1.0, rps=0.49), rss_mb=100.0)}
    assert [name for name, passed in slow.items() if not passed] == [
        f"{name} throughput >= {THROUGHPUT_RATIO_MIN[name]:.0%} of {BASELINE} (closed loop)" for name in MEASURED
    ]


def test_a_failed_request_fails_the_run() -> None:
    open_results, closed_results = _runs(p99=1.0, rps=1.0)
    closed_results["/post-call"].statuses[401] += 1
    verdicts = {t.name: t.passed for t in evaluate(open_results, closed_results, rss_mb=100.0)}
    assert not verdicts["every request answered 2xx"]


def test_a_baseline_that_answered_nothing_fails_the_ratios_instead_of_crashing_the_run() -> None:
    """On a machine too loaded for /healthz to finish one request in the window, the run still reports."""
    open_results, closed_results = _runs(p99=1.0, rps=1.0)
    open_results[BASELINE] = result(BASELINE, [])
    closed_results[BASELINE] = result(BASELINE, [])
    verdicts = {t.name: t.passed for t in evaluate(open_results, closed_results, rss_mb=100.0)}
    assert [name for name, passed in verdicts.items() if not passed][:4] == list(verdicts)[:4]
    assert verdicts["every request answered 2xx"]


def test_rounds_rotate_the_order() -> None:
    names = [Endpoint(n, "GET", n) for n in ("a", "b", "c")]
    assert [[e.name for e in rotated(names, turn)] for turn in range(4)] == [
        ["a", "b", "c"],
        ["b", "c", "a"],
        ["c", "a", "b"],
        ["a", "b", "c"],
    ]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the server's memory from /proc")
def test_quick_run_against_serve(tmp_path: Path) -> None:
    report = tmp_path / "bench.json"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.bench_serve",
            "--quick",
            "--json",
            str(report),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    results = json.loads(report.read_text())
    for phase in ("open", "closed"):
        assert set(results[phase]) == {BASELINE, *MEASURED}
        for name, numbers in results[phase].items():
            assert numbers["requests"] > 0, (phase, name)
            assert numbers["errors"] == 0, (phase, name)
    acknowledged = results["open"]["/post-call"]["requests"] + results["closed"]["/post-call"]["requests"]
    assert results["post_call_processed"] >= acknowledged  # every acknowledged event became memories
    assert 20 < results["rss_mb"] < 4096
    assert len(results["targets"]) == 7
    for target in results["targets"]:
        assert ("PASS  " if target["passed"] else "FAIL  ") + target["name"] in run.stdout


def test_retrieve_can_ask_the_recall_sets_thousands_of_questions() -> None:
    questions = recall_questions()
    assert len(questions) == RECALL_QUESTIONS and len(set(questions)) == len(questions)  # a set added changes no count
    assert recall_questions(10) == questions[:10]
    factory = RequestFactory(10, workspace_key="w" * 32, hmac_key="h" * 32, run_id="t", queries=questions)
    asked = {json.loads(factory.retrieve(i)[0])["query"] for i in range(50)}
    assert len(asked) == 50 and asked <= set(questions)
    fixed = RequestFactory(10, workspace_key="w" * 32, hmac_key="h" * 32, run_id="t")
    assert {json.loads(fixed.retrieve(i)[0])["query"] for i in range(50)} == set(QUERIES)
