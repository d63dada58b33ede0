"""The live display follows each tenant's state; the summary counts results and shows URLs, errors and logs."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from infra.tenants.progress import LiveProgress, summary
from infra.tenants.results import Operation, RunReport, Status, TenantResult
from tests.tenants.conftest import Plan


def test_live_table_tracks_states_and_times(plan: Plan) -> None:
    now = [100.0]
    console = Console(file=io.StringIO(), force_terminal=True, width=160)
    with LiveProgress(plan.stacks, title="tenants up", console=console, clock=lambda: now[0]) as progress:
        progress.update("acme-support", Status.RUNNING, "updating")
        now[0] = 112.0
        progress.update("acme-support", Status.CREATED, "create 12")
        progress.update("globex-sales", Status.RETRYING, "another update holds the stack")
        snapshot = progress.snapshot()
        rendered = Console(file=io.StringIO(), width=160, record=True)
        rendered.print(progress.table())
    assert snapshot["acme-support"] == (Status.CREATED, "create 12")
    assert snapshot["initech-desk"] == (Status.QUEUED, "")
    text = rendered.export_text()
    assert "created" in text and "12s" in text and "retrying" in text and "queued" in text


def test_without_a_terminal_one_line_per_final_state(plan: Plan) -> None:
    out = io.StringIO()
    progress = LiveProgress(plan.stacks, title="t", console=Console(file=out, width=200))
    with progress:
        progress.update("acme-support", Status.RUNNING, "updating")
        progress.update("acme-support", Status.FAILED, "error: AccessDenied")
        progress.notice("Ctrl-C: no new tenant starts")
    assert out.getvalue().splitlines() == ["acme-support: failed (error: AccessDenied)", "Ctrl-C: no new tenant starts"]


def test_summary_shows_counts_urls_errors_and_logs(tmp_path: Path) -> None:
    report = RunReport(
        Operation.UP,
        [
            TenantResult("a", Status.CREATED, {"create": 12}, {"preCallUrl": "https://a.example/client-data"}),
            TenantResult("b", Status.UNCHANGED, {"same": 12}),
            TenantResult("c", Status.FAILED, error="error: quota exceeded", log_path=tmp_path / "c.log"),
        ],
        tmp_path,
    )
    console = Console(file=io.StringIO(), width=200, record=True)
    console.print(summary(report))
    text = console.export_text()
    assert "created 1, failed 1, unchanged 1" in text
    assert "preCallUrl: https://a.example/client-data" in text and "create 12" in text
    assert "error: quota exceeded" in text and f"log: {tmp_path / 'c.log'}" in text
    assert report.exit_code == 1
