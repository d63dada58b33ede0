"""``agentic-memory analytics user ID | agent``: the admin API's analytics, as tables, on the local store."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from functions.cli.options import (
    AgentTypeOption,
    ConfigOption,
    DataDirOption,
    console,
    fail,
    local_settings,
    require_data_dir,
)
from shared.analytics import Analytics
from shared.analytics.agent import MAX_DAYS
from shared.analytics.chart import text_bars, write_png
from shared.errors import AgenticMemoryError
from shared.experiments.plan import declared_variants

if TYPE_CHECKING:
    from collections.abc import Iterator

    from functions.local import LocalService

app = typer.Typer(
    help="Analytics computed from the local store: one caller, or the whole agent type.", no_args_is_help=True
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print the same JSON the admin API answers.")]
MAX_BARS = 62  # a terminal's screenful: a longer period shows runs of days, one bar each


def day_runs(series: list[tuple[str, int]], max_bars: int = MAX_BARS) -> tuple[int, list[tuple[str, int]]]:
    """Days summed into runs of equal length counted back from the last day, so the last bar always holds today;
    a run is labelled by its first and last day (``2026-12-06..12-07``). Returns the run length and the bars."""
    size = max(1, -(-len(series) // max_bars))
    if size == 1:
        return 1, list(series)
    bars = []
    for end in range(len(series), 0, -size):
        run = series[max(0, end - size) : end]
        first, last = run[0][0], run[-1][0]
        label = first if first == last else f"{first}..{last[5:]}"
        bars.append((label, sum(n for _, n in run)))
    return size, bars[::-1]


@contextmanager
def _analytics(
    agent_type: str | None, config: Path | None, data_dir: Path | None
) -> Iterator[tuple[LocalService, Analytics]]:
    from functions.local import build_local

    try:
        local = build_local(require_data_dir(local_settings(agent_type, config, data_dir)))
    except AgenticMemoryError as exc:
        fail(str(exc))
        raise  # unreachable
    profile = local.runtime.profile
    try:
        declared = declared_variants(profile.config)
        config = profile.config.analytics
        yield local, Analytics(local.runtime.store, profile.name, config, clock=local.runtime.clock, declared=declared)
    except AgenticMemoryError as exc:  # the store unavailable (Mem0, DynamoDB, Firestore): one line, no traceback
        fail(str(exc))
    finally:
        local.close()


def _figures(title: str, rows: list[tuple[str, Any]]) -> Table:
    table = Table(title=title, show_header=False)
    table.add_column("figure", style="bold")
    table.add_column("value")
    for name, value in rows:
        table.add_row(name, "" if value is None else str(value))
    return table


def _topics(topics: list[dict[str, Any]], title: str) -> Table:
    table = Table(title=title)
    table.add_column("topic")
    table.add_column("memories", justify="right")
    for topic in topics:
        table.add_row(str(topic["topic"]), str(topic["memories"]))
    return table


@app.command()
def user(
    caller: Annotated[str, typer.Argument(help="Caller id (any phone format) or user id.")],
    as_json: JsonOption = False,
    agent_type: AgentTypeOption = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """One caller's insights: memories by type, date range, topics, engagement, trend."""
    with _analytics(agent_type, config, data_dir) as (local, analytics):
        try:
            report = analytics.user(local.runtime.service.identity.for_operators().user_id(caller))
        except AgenticMemoryError as exc:
            fail(str(exc))
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    basis = report["trend_basis"]
    console.print(
        _figures(
            f"Caller {report['caller']} ({report['agent_type']})",
            [
                ("total memories", report["total_memories"]),
                ("calls", report["calls"]),
                ("first memory", report["date_range"]["first"]),
                ("last interaction", report["last_interaction"]),
                ("engagement level", report["engagement_level"]),
                (
                    "trend",
                    f"{report['trend']} ({basis['recent_calls']} calls in the last {basis['window_days']} days, "
                    f"{basis['previous_calls']} in the {basis['window_days']} before)",
                ),
            ],
        )
    )
    by_type = Table(title="Memories by type")
    by_type.add_column("type")
    by_type.add_column("memories", justify="right")
    for name, count in report["memories_by_type"].items():
        by_type.add_row(name, str(count))
    console.print(by_type)
    console.print(_topics(report["top_topics"], "Top topics"))


def _interval(figure: dict[str, Any], *, percent: bool) -> str:
    if figure["value"] is None:
        return "no data"
    if percent:
        return f"{figure['value']:.1%} ({figure['count']}/{figure['of']}; 95% {figure['low']:.1%}-{figure['high']:.1%})"
    return f"{figure['value']:.2f} ({figure['count']}/{figure['of']}; 95% {figure['low']:.2f}-{figure['high']:.2f})"


def print_variants(report: dict[str, Any]) -> None:
    """One table per experiment (a variant per column), its comparisons with the baseline, and the verdict."""
    period = report["period"]
    if not report["experiments"]:
        console.print(f"Agent type {report['agent_type']} runs no experiments and no call carries a variant.")
    for experiment in report["experiments"]:
        table = Table(title=f"Experiment {experiment['experiment']}: {period['first_day']} to {period['last_day']}")
        table.add_column("figure", style="bold")
        for variant in experiment["variants"]:
            baseline = " (baseline)" if variant["variant"] == experiment["baseline"] else ""
            table.add_column(f"{variant['variant']}{baseline}")
        rows = [
            ("callers", lambda v: str(v["callers"])),
            ("calls per caller", lambda v: _interval(v["calls_per_caller"], percent=False)),
            ("returning-caller rate", lambda v: _interval(v["returning_caller_rate"], percent=True)),
            ("tool calls that found something", lambda v: _interval(v["tool_calls_found"], percent=True)),
            ("degraded pre-calls", lambda v: _interval(v["degraded_pre_calls"], percent=True)),
        ]
        for label, shown in rows:
            table.add_row(label, *(shown(variant) for variant in experiment["variants"]))
        console.print(table)
        for row in experiment["comparisons"]:
            console.print(f"  {row['statement']}", highlight=False, markup=False)
        console.print(experiment["summary"], highlight=False, markup=False)


@app.command()
def agent(
    days: Annotated[
        int, typer.Option("--days", min=1, max=MAX_DAYS, help="The period: this many UTC days up to today.")
    ] = 30,
    png: Annotated[Path | None, typer.Option("--png", help="Also write calls per day as a PNG bar chart here.")] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="'variant': compare the variants of the agent type's experiments.")
    ] = None,
    as_json: JsonOption = False,
    agent_type: AgentTypeOption = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """The agent type's analytics: callers, memories, calls per day, returning callers, topics; or by variant."""
    if by not in (None, "variant"):
        fail("--by must be 'variant'")
    if by == "variant" and png is not None:  # it wrote nothing and said nothing
        fail("--png draws calls per day; it does not go with --by variant")
    if by == "variant":
        with _analytics(agent_type, config, data_dir) as (_, analytics):
            compared = analytics.variants(days)
        if as_json:
            typer.echo(json.dumps(compared, indent=2))
        else:
            print_variants(compared)
        return
    with _analytics(agent_type, config, data_dir) as (_, analytics):
        report = analytics.agent(days)
    series = [(point["date"], int(point["calls"])) for point in report["calls_per_day"]]
    if png is not None:
        try:
            write_png(png, series)
        except OSError as exc:
            fail(f"cannot write {png}: {exc.strerror}")
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    period = report["period"]
    console.print(
        _figures(
            f"Agent type {report['agent_type']}: {period['first_day']} to {period['last_day']} ({days} days)",
            [
                ("total callers", report["total_callers"]),
                ("total memories", report["total_memories"]),
                ("average memories per caller", report["avg_memories_per_caller"]),
                ("calls in the period", report["calls"]),
                ("new memories in the period", report["new_memories"]),
                ("active callers in the period", report["active_callers"]),
                ("returning callers", report["returning_callers"]),
                ("returning-caller rate", f"{report['returning_caller_rate']:.1%}"),
            ],
        )
    )
    active = Table(title="Most active callers in the period")
    for column in ("caller", "calls", "memories"):
        active.add_column(column, justify="left" if column == "caller" else "right")
    for row in report["most_active_callers"]:
        active.add_row(str(row["caller"]), str(row["calls"]), str(row["memories"]))
    console.print(active)
    console.print(_topics(report["common_topics"], "Common topics in the period"))
    size, bars = day_runs(series)
    console.print("[bold]Calls per day[/bold]" if size == 1 else f"[bold]Calls per {size} days[/bold]")
    for line in text_bars(bars, max_points=len(bars) or 1):
        console.print(line, highlight=False, markup=False)
    if png is not None:
        console.print(f"wrote {png}")
