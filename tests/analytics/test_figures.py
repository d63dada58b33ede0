"""Must show 1: on a seeded dataset of known shape, every analytics figure equals the one computed here.

The expected figures are computed from the dataset's specification (calls, their times, hand-annotated topics),
not with the analytics code, and read back through the admin HTTP routes, on both memory backends (Mem0 through
the local fake Platform).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.analytics.seeded import AGENT, NOW, Clock, Dataset, build_dataset, clocked_runtime
from tests.conftest import TEST_SECRETS, LocalRuntime
from tests.fakes import API_KEY, FakeMem0Server

ADMIN = {"X-Admin-Key": TEST_SECRETS["ADMIN_API_KEY"]}
LOOSE_TOPICS = {"loose-1": {"billing"}}  # "Prefers email about the invoice"


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return build_dataset()


@pytest.fixture(scope="module", params=["sqlite", "mem0"])
def seeded(
    request: pytest.FixtureRequest, dataset: Dataset, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalRuntime]:
    data_dir = Path(tmp_path_factory.mktemp("seeded"))
    if request.param == "sqlite":
        local = clocked_runtime(data_dir, clock=Clock(NOW))
        local.runtime.store.add(dataset.memories())
        yield local
        local.runtime.store.close()
        return
    with FakeMem0Server(today=lambda: NOW.date()) as server:
        environ = {"MEMORY_BACKEND": "mem0", "MEM0_HOST": server.url}
        secrets = {**TEST_SECRETS, "MEM0_API_KEY": API_KEY}
        local = clocked_runtime(data_dir, clock=Clock(NOW), secrets=secrets, environ=environ)
        local.runtime.store.add(dataset.memories())
        assert len(server.memories()) == len(dataset.memories())  # the figures below are read back from Mem0
        yield local
        local.runtime.store.close()


def get(local: LocalRuntime, path: str, query: dict[str, str] | None = None) -> dict[str, Any]:
    from shared.http import Request

    response = local.runtime.app.handle(Request.build("GET", path, ADMIN, b"", query))
    assert response.status == 200, response.body
    body: dict[str, Any] = json.loads(response.body)
    return body


def masked(number: str) -> str:
    return number[:4] + "***" + number[-4:]


def in_period(days: int, moment: Any) -> bool:
    return 0 <= (NOW.date() - moment.date()).days < days


def ranked_topics(counts: Counter[str], limit: int = 5) -> list[dict[str, Any]]:
    ordered = sorted(((t, n) for t, n in counts.items() if n), key=lambda tn: (-tn[1], tn[0]))
    return [{"topic": t, "memories": n} for t, n in ordered[:limit]]


def expected_agent(data: Dataset, days: int) -> dict[str, Any]:
    memories_of: Counter[str] = Counter()
    calls_of: Counter[str] = Counter()
    period_calls: Counter[str] = Counter()
    per_day = {NOW.date() - timedelta(days=i): 0 for i in range(days)}
    topics: Counter[str] = Counter()
    new_memories = 0
    for call in data.calls:
        memories_of[call.caller] += len(call.memories)
        calls_of[call.caller] += 1
        if in_period(days, call.started_at):
            period_calls[call.caller] += 1
            per_day[call.started_at.date()] += 1
            new_memories += len(call.memories)
            for _, _, annotated in call.memories:
                topics.update(annotated)
    for memory in data.loose:
        memories_of[memory.user_id] += 1
        if in_period(days, memory.created_at):
            new_memories += 1
            topics.update(LOOSE_TOPICS[memory.id])
    total_memories = sum(memories_of.values())
    active = sorted(period_calls, key=lambda c: (-period_calls[c], -memories_of[c], c))
    returning = [c for c in active if calls_of[c] >= 2]
    return {
        "agent_type": AGENT,
        "period_days": days,
        "period": {"first_day": min(per_day).isoformat(), "last_day": NOW.date().isoformat()},
        "total_callers": len(memories_of),
        "total_memories": total_memories,
        "avg_memories_per_caller": round(total_memories / len(memories_of), 2),
        "calls": sum(period_calls.values()),
        "new_memories": new_memories,
        "active_callers": len(active),
        "returning_callers": len(returning),
        "returning_caller_rate": round(len(returning) / len(active), 4) if active else 0.0,
        "most_active_callers": [
            {"caller": masked(c), "calls": period_calls[c], "memories": memories_of[c]} for c in active[:5]
        ],
        "common_topics": ranked_topics(topics),
        "calls_per_day": [{"date": day.isoformat(), "calls": per_day[day]} for day in sorted(per_day)],
    }


def expected_user(data: Dataset, caller: str) -> dict[str, Any]:
    calls = [c for c in data.calls if c.caller == caller]
    loose = [m for m in data.loose if m.user_id == caller]
    types: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    times = []
    for call in calls:
        for kind, _, annotated in call.memories:
            types[kind] += 1
            topics.update(annotated)
            times.append(call.started_at)
    for memory in loose:
        types[memory.type] += 1
        topics.update(LOOSE_TOPICS[memory.id])
        times.append(memory.created_at)
    total = sum(types.values())
    recent = sum(1 for c in calls if c.started_at >= NOW - timedelta(days=30))
    previous = sum(1 for c in calls if NOW - timedelta(days=60) <= c.started_at < NOW - timedelta(days=30))
    if len(calls) < 2:
        trend = "insufficient_data"
    elif recent != previous:
        trend = "increasing" if recent > previous else "decreasing"
    else:
        trend = "inactive" if recent == 0 else "stable"
    level = "none" if total == 0 else "high" if len(calls) >= 5 else "medium" if len(calls) >= 2 else "low"
    return {
        "caller": masked(caller),
        "agent_type": AGENT,
        "total_memories": total,
        "memories_by_type": dict(sorted(types.items())),
        "date_range": {"first": min(times).isoformat(), "last": max(times).isoformat()},
        "calls": len(calls),
        "top_topics": ranked_topics(topics),
        "engagement_level": level,
        "last_interaction": max(times).isoformat(),
        "trend": trend,
        "trend_basis": {"window_days": 30, "recent_calls": recent, "previous_calls": previous},
    }


@pytest.mark.parametrize("days", [1, 7, 14, 30, 90])
def test_agent_figures_equal_the_independent_computation(seeded: LocalRuntime, dataset: Dataset, days: int) -> None:
    assert get(seeded, "/analytics/agent", {"days": str(days)}) == expected_agent(dataset, days)


def test_every_caller_figure_equals_the_independent_computation(seeded: LocalRuntime, dataset: Dataset) -> None:
    levels, trends = set(), set()
    for caller in dataset.callers():
        # any spelling of the number is the same caller
        spelled = f"+1 (555) 555-{caller[-4:]}" if caller.startswith("+1555555") else caller
        got = get(seeded, f"/analytics/users/{spelled}")
        assert got == expected_user(dataset, caller)
        levels.add(got["engagement_level"])
        trends.add(got["trend"])
    # the dataset really exercises the rules it checks
    assert {"low", "medium", "high"} <= levels
    assert len(trends) >= 3


def test_unknown_caller_has_zero_figures(seeded: LocalRuntime) -> None:
    got = get(seeded, "/analytics/users/+15555550000")
    assert got["total_memories"] == 0 and got["calls"] == 0
    assert got["engagement_level"] == "none" and got["trend"] == "insufficient_data"
    assert got["date_range"] == {"first": None, "last": None} and got["top_topics"] == []


def test_agent_output_holds_no_full_number(seeded: LocalRuntime, dataset: Dataset) -> None:
    body = json.dumps(get(seeded, "/analytics/agent", {"days": "90"}))
    for caller in dataset.callers():
        assert caller not in body and caller[1:] not in body


def test_the_default_period_is_30_days(seeded: LocalRuntime, dataset: Dataset) -> None:
    assert get(seeded, "/analytics/agent") == expected_agent(dataset, 30)


@pytest.mark.parametrize("days", ["0", "-3", "3651", "seven", "1.5"])
def test_a_bad_period_is_a_400(seeded: LocalRuntime, days: str) -> None:
    from shared.http import Request

    response = seeded.runtime.app.handle(Request.build("GET", "/analytics/agent", ADMIN, b"", {"days": days}))
    assert response.status == 400
    assert json.loads(response.body)["error"].startswith("query parameter days must be")
