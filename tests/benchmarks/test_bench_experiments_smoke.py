"""The experiments benchmark runs and reports its baselines (no time or ratio is asserted: machines are noisy)."""

from __future__ import annotations

from benchmarks.bench_experiments import main


def test_the_benchmark_reports_each_figure_beside_its_baseline() -> None:
    report = main(["--runs", "20", "--json"])
    assert set(report["pre_call_ms"]) == {"as shipped", "with experiments"}
    assert set(report["processor_ms"]) == {"called directly", "under the budget"}
    assert all(value > 0 for value in [*report["pre_call_ms"].values(), *report["processor_ms"].values()])
    assert report["pre_call_ratio"] > 0
