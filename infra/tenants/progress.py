"""The live display of a tenants run (one row per tenant) and the summary table at its end.

``LiveProgress`` is the orchestrator's ``Listener``: worker threads report state changes, a rich ``Live``
redraws the table a few times a second. Without a terminal (CI logs) it prints one line per final state.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from infra.tenants.results import FINAL, RunReport, Status
from infra.tenants.stacks import TenantStack

STYLES: dict[Status, str] = {
    Status.QUEUED: "dim",
    Status.PREPARING: "cyan",
    Status.RUNNING: "bold cyan",
    Status.RETRYING: "yellow",
    Status.CREATED: "green",
    Status.UPDATED: "green",
    Status.UNCHANGED: "green",
    Status.CHANGES: "yellow",
    Status.NO_CHANGES: "green",
    Status.DESTROYED: "green",
    Status.ABSENT: "dim",
    Status.READ: "green",
    Status.FAILED: "bold red",
    Status.CANCELLED: "magenta",
}
URL_OUTPUTS = ("preCallUrl", "toolUrl", "postCallUrl")


@dataclass
class _Row:
    cloud: str
    agent_type: str
    status: Status = Status.QUEUED
    detail: str = ""
    started: float | None = None
    finished: float | None = None


class LiveProgress:
    """A ``Listener`` drawing each tenant's state; use as a context manager around ``Orchestrator.run``."""

    def __init__(
        self,
        stacks: Sequence[TenantStack],
        *,
        title: str,
        console: Console | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.console = console or Console()
        self.title = title
        self._clock = clock
        self._lock = threading.Lock()
        self._rows = {stack.name: _Row(stack.tenant.cloud, stack.tenant.agent_type) for stack in stacks}
        self._live: Live | None = None

    def __enter__(self) -> LiveProgress:
        if self.console.is_terminal:
            self._live = Live(self, console=self.console, refresh_per_second=4, transient=False)
            self._live.__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._live is not None:
            self._live.__exit__(exc_type, exc, tb)
            self._live = None

    def update(self, tenant_id: str, status: Status, detail: str = "") -> None:
        with self._lock:
            row = self._rows[tenant_id]
            now = self._clock()
            if row.started is None and status not in (Status.QUEUED, Status.CANCELLED):
                row.started = now
            if status in FINAL:
                row.finished = now
            row.status, row.detail = status, detail
        if self._live is None and status in FINAL:
            self.console.print(f"{tenant_id}: {status.value}" + (f" ({detail})" if detail else ""), highlight=False)

    def notice(self, message: str) -> None:
        self.console.print(f"[yellow]{message}[/yellow]", highlight=False)

    def snapshot(self) -> dict[str, tuple[Status, str]]:
        with self._lock:
            return {tenant_id: (row.status, row.detail) for tenant_id, row in self._rows.items()}

    def table(self) -> Table:
        table = Table(title=self.title, expand=False)
        for column in ("Tenant", "Cloud", "Agent type", "State", "Detail", "Time"):
            table.add_column(column, overflow="fold")
        now = self._clock()
        with self._lock:
            for tenant_id, row in self._rows.items():
                elapsed = ""
                if row.started is not None:
                    elapsed = f"{(row.finished or now) - row.started:.0f}s"
                table.add_row(
                    tenant_id,
                    row.cloud,
                    row.agent_type,
                    Text(row.status.value, style=STYLES[row.status]),
                    row.detail[-80:],
                    elapsed,
                )
        return table

    def __rich__(self) -> Table:
        return self.table()


def _changes_text(changes: dict[str, int]) -> str:
    return ", ".join(f"{op} {count}" for op, count in sorted(changes.items()) if count) or "-"


def summary(report: RunReport) -> Group:
    """Counts per result and one row per tenant with its changes, URLs, and for a failure its error and log."""
    counts: dict[str, int] = {}
    for result in report.results:
        counts[result.status.value] = counts.get(result.status.value, 0) + 1
    table = Table(title=f"tenants {report.operation.value}: summary", show_lines=True)
    for column in ("Tenant", "Result", "Changes", "URLs / error"):
        table.add_column(column, overflow="fold")
    for result in report.results:
        if result.failed or result.status is Status.CANCELLED:
            lines = [result.error or ""]
            if result.log_path is not None:
                lines.append(f"log: {result.log_path}")
            info: Any = Text("\n".join(line for line in lines if line), style="red" if result.failed else "magenta")
        else:
            urls = [f"{name}: {result.outputs[name]}" for name in URL_OUTPUTS if result.outputs.get(name)]
            info = "\n".join(urls) or "-"
        table.add_row(
            result.tenant_id,
            Text(result.status.value, style=STYLES[result.status]),
            _changes_text(result.changes),
            info,
        )
    line = ", ".join(f"{status} {count}" for status, count in sorted(counts.items()))
    note = "  (interrupted: tenants not started are cancelled)" if report.interrupted else ""
    return Group(table, Text(f"{line}{note}", style="bold red" if report.failed else "bold"))


__all__ = ["LiveProgress", "summary"]
