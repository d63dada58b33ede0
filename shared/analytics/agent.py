"""One agent type's analytics over a period of whole UTC days, computed from every live memory.

The period is the ``days`` calendar days (UTC) ending today. Totals (callers, memories) cover every live
memory; ``calls_per_day``, active and returning callers, most active callers and common topics cover the
period. A returning caller is one active in the period with at least two calls in all.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared.analytics.calls import calls_of
from shared.analytics.topics import TopicMatcher, top
from shared.config.models import AnalyticsConfig
from shared.memory.models import Memory

MAX_DAYS = 3650


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def period_days(now: datetime, days: int) -> list[date]:
    today = utc_day(now)
    return [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def agent_analytics(
    memories: Iterable[Memory],
    *,
    agent_type: str,
    now: datetime,
    days: int,
    config: AnalyticsConfig,
    matcher: TopicMatcher,
    label: Callable[[str], str],
) -> dict[str, Any]:
    """``label`` shows a caller (masked id or pseudonym): no full number ever leaves this function."""
    every = list(memories)
    dates = period_days(now, days)
    first_day, last_day = dates[0], dates[-1]

    memories_per_caller = Counter(memory.user_id for memory in every)
    in_period = [memory for memory in every if first_day <= utc_day(memory.created_at) <= last_day]
    calls = calls_of(every)
    calls_per_caller = Counter(call.user_id for call in calls)

    per_day: dict[date, int] = dict.fromkeys(dates, 0)
    period_calls: dict[str, int] = defaultdict(int)
    for call in calls:
        day = utc_day(call.started_at)
        if first_day <= day <= last_day:
            per_day[day] += 1
            period_calls[call.user_id] += 1

    active = sorted(period_calls, key=lambda user: (-period_calls[user], -memories_per_caller[user], user))
    returning = [user for user in active if calls_per_caller[user] >= 2]
    total_callers = len(memories_per_caller)
    return {
        "agent_type": agent_type,
        "period_days": days,
        "period": {"first_day": first_day.isoformat(), "last_day": last_day.isoformat()},
        "total_callers": total_callers,
        "total_memories": len(every),
        "avg_memories_per_caller": round(len(every) / total_callers, 2) if total_callers else 0.0,
        "calls": sum(per_day.values()),
        "new_memories": len(in_period),
        "active_callers": len(active),
        "returning_callers": len(returning),
        "returning_caller_rate": round(len(returning) / len(active), 4) if active else 0.0,
        "most_active_callers": [
            {"caller": label(user), "calls": period_calls[user], "memories": memories_per_caller[user]}
            for user in active[: config.top_callers]
        ],
        "common_topics": top(matcher.count(memory.text for memory in in_period), config.top_topics),
        "calls_per_day": [{"date": day.isoformat(), "calls": per_day[day]} for day in dates],
    }
