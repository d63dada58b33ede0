"""Variants compared on what the service measures, from the memories alone (each carries its call's variant and
outcomes, see ``shared.analytics.outcomes``).

Per experiment (or rollout) and variant, over the calls in the period: callers, calls per caller (mean, normal
interval), returning-caller rate (callers with two or more calls in the variant), the share of memory-tool calls
that found something, and the share of calls whose pre-call answer was degraded, each with its counts and a 95%
interval (Wilson). Every other variant is compared with the first (the baseline): a difference whose 95% interval
holds zero is reported as not yet meaningful.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.analytics.agent import period_days, utc_day
from shared.analytics.intervals import mean_difference, mean_interval, newcombe, wilson
from shared.analytics.outcomes import PRE_CALL, TOOL_CALLS, TOOL_FOUND, VARIANT
from shared.experiments.plan import OFF, ON, parse_label
from shared.memory.models import Memory

MIN_CALLS_PER_CALLER = 1.0  # a caller of a variant made at least one call in it
PROPORTIONS = (
    ("returning_caller_rate", "returning-caller rate"),
    ("tool_calls_found", "tool calls that found something"),
    ("degraded_pre_calls", "degraded pre-calls"),
)


@dataclass
class _Call:
    user_id: str
    started_at: datetime
    metadata: dict[str, Any]


@dataclass
class _Group:
    calls: list[_Call] = field(default_factory=list)
    all_calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # per caller, any time


def _calls(memories: Iterable[Memory]) -> list[_Call]:
    """One call per (caller, conversation id), at its earliest memory, with that call's recorded metadata."""
    calls: dict[tuple[str, str], _Call] = {}
    for memory in memories:
        if not memory.conversation_id:
            continue
        key = (memory.user_id, memory.conversation_id)
        known = calls.get(key)
        if known is None:
            calls[key] = _Call(memory.user_id, memory.created_at, dict(memory.metadata))
        elif memory.created_at < known.started_at:
            known.started_at = memory.created_at
    return list(calls.values())


def _share(successes: int, trials: int) -> dict[str, Any]:
    low, high = wilson(successes, trials)
    value = successes / trials if trials else None
    return {"value": _round(value), "count": successes, "of": trials, "low": _round(low), "high": _round(high)}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _figures(group: _Group) -> dict[str, Any]:
    per_caller: dict[str, int] = defaultdict(int)
    for call in group.calls:
        per_caller[call.user_id] += 1
    callers = sorted(per_caller)
    returning = sum(1 for user in callers if group.all_calls[user] >= 2)
    tool_calls = sum(int(call.metadata.get(TOOL_CALLS) or 0) for call in group.calls)
    tool_found = sum(int(call.metadata.get(TOOL_FOUND) or 0) for call in group.calls)
    known = [call.metadata.get(PRE_CALL) for call in group.calls if call.metadata.get(PRE_CALL) in ("ok", "degraded")]
    mean, low, high = mean_interval([float(per_caller[user]) for user in callers])
    low = max(low, MIN_CALLS_PER_CALLER) if callers else low  # the normal interval runs below 1, even below 0
    return {
        "callers": len(callers),
        "calls": len(group.calls),
        "calls_per_caller": {
            "value": _round(mean) if callers else None,
            "count": len(group.calls),
            "of": len(callers),
            "low": _round(low),
            "high": _round(high),
        },
        "returning_caller_rate": _share(returning, len(callers)),
        "tool_calls_found": _share(tool_found, tool_calls),
        "degraded_pre_calls": _share(known.count("degraded"), len(known)),
    }


def _percent(value: float) -> str:
    return f"{value * 100:+.1f} points"


def _compare(name: str, baseline: str, mine: _Group, base: _Group, figures: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = []
    mine_counts = [float(n) for n in _per_caller(mine)]
    base_counts = [float(n) for n in _per_caller(base)]
    difference, low, high = mean_difference(mine_counts, base_counts)
    rows.append(
        _verdict(
            name,
            baseline,
            "calls_per_caller",
            "calls per caller",
            difference,
            low,
            high,
            f"{difference:+.2f}",
            enough=len(mine_counts) >= 2 and len(base_counts) >= 2,
        )
    )
    for metric, label in PROPORTIONS:
        a, b = figures[name][metric], figures[baseline][metric]
        if not a["of"] or not b["of"]:
            rows.append(
                {
                    "variant": name,
                    "metric": metric,
                    "meaningful": False,
                    "statement": f"{label}: no data yet for {name if not a['of'] else baseline}.",
                }
            )
            continue
        difference, low, high = newcombe(a["count"], a["of"], b["count"], b["of"])
        rows.append(_verdict(name, baseline, metric, label, difference, low, high, _percent(difference), enough=True))
    return rows


def _verdict(
    name: str,
    baseline: str,
    metric: str,
    label: str,
    difference: float,
    low: float,
    high: float,
    shown: str,
    *,
    enough: bool,
) -> dict[str, Any]:
    meaningful = enough and (low > 0 or high < 0)
    if not enough:
        statement = f"{label}: {name} vs {baseline}: too few callers to compare yet."
    elif meaningful:
        statement = f"{label}: {name} differs from {baseline} by {shown} (95% interval excludes no difference)."
    else:
        statement = (
            f"{label}: {name} vs {baseline}: {shown}, not yet meaningful "
            "(the 95% interval of the difference includes zero)."
        )
    return {
        "variant": name,
        "metric": metric,
        "difference": round(difference, 4),
        "low": round(low, 4),
        "high": round(high, 4),
        "meaningful": meaningful,
        "statement": statement,
    }


def _per_caller(group: _Group) -> list[int]:
    counts: dict[str, int] = defaultdict(int)
    for call in group.calls:
        counts[call.user_id] += 1
    return list(counts.values())


def _in_order(found: list[str], declared: Sequence[str] | None) -> list[str]:
    """The declared variants in their order, then the others by name: never the order memories happened to be read
    in, which made an ended experiment's baseline (and every difference's sign) change between two reports. An
    ended rollout keeps ``on`` as its baseline."""
    first = list(declared or ())
    if declared is None and set(found) <= {ON, OFF}:
        first = [ON, OFF]
    return [name for name in first if name in found] + sorted(name for name in found if name not in first)


def variant_analytics(
    memories: Iterable[Memory],
    *,
    agent_type: str,
    declared: Mapping[str, Sequence[str]],
    now: datetime,
    days: int,
) -> dict[str, Any]:
    """``declared``: experiment (or rollout) -> its variants in order; the first is the baseline. Variants found
    in the memories but no longer declared (an ended experiment) are listed after the declared ones."""
    dates = period_days(now, days)
    first_day, last_day = dates[0], dates[-1]
    groups: dict[str, dict[str, _Group]] = {
        name: {v: _Group() for v in variants} for name, variants in declared.items()
    }
    for call in _calls(memories):
        for experiment, variant in parse_label(str(call.metadata.get(VARIANT) or "")).items():
            group = groups.setdefault(experiment, {}).setdefault(variant, _Group())
            group.all_calls[call.user_id] += 1
            if first_day <= utc_day(call.started_at) <= last_day:
                group.calls.append(call)
    experiments = []
    for experiment, variants in groups.items():
        figures = {variant: _figures(group) for variant, group in variants.items()}
        names = _in_order(list(variants), declared.get(experiment))
        baseline = names[0] if names else ""
        comparisons = [
            row for name in names[1:] for row in _compare(name, baseline, variants[name], variants[baseline], figures)
        ]
        meaningful = [row["statement"] for row in comparisons if row["meaningful"]]
        summary = (
            " ".join(meaningful)
            if meaningful
            else f"No difference between the variants of {experiment} is meaningful yet: keep the experiment running."
        )
        experiments.append(
            {
                "experiment": experiment,
                "declared": experiment in declared,
                "baseline": baseline,
                "variants": [{"variant": name, **figures[name]} for name in names],
                "comparisons": comparisons,
                "summary": summary,
            }
        )
    return {
        "agent_type": agent_type,
        "by": "variant",
        "period_days": days,
        "period": {"first_day": first_day.isoformat(), "last_day": last_day.isoformat()},
        "experiments": experiments,
    }
