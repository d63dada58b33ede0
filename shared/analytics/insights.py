"""One caller's insights, as the original design named them, computed from their live memories."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from shared.analytics.calls import Call, calls_of
from shared.analytics.topics import TopicMatcher, top
from shared.config.models import AnalyticsConfig
from shared.memory.models import Memory


def engagement_level(calls: int, memories: int, config: AnalyticsConfig) -> str:
    """``none`` without memories; else by calls: ``high`` from ``engagement_high_calls``, ``medium`` from
    ``engagement_medium_calls``, ``low`` below (a call, not a memory, is what a caller does)."""
    if memories == 0:
        return "none"
    if calls >= config.engagement_high_calls:
        return "high"
    if calls >= config.engagement_medium_calls:
        return "medium"
    return "low"


def trend(calls: Sequence[Call], *, now: datetime, window_days: int) -> dict[str, Any]:
    """Calls in the last window against the window before it.

    ``insufficient_data`` under two calls; ``inactive`` when neither window has a call.
    """
    window = timedelta(days=window_days)
    recent = sum(1 for call in calls if call.started_at >= now - window)
    previous = sum(1 for call in calls if now - 2 * window <= call.started_at < now - window)
    if len(calls) < 2:
        label = "insufficient_data"
    elif recent > previous:
        label = "increasing"
    elif recent < previous:
        label = "decreasing"
    elif recent == 0:
        label = "inactive"
    else:
        label = "stable"
    return {"trend": label, "window_days": window_days, "recent_calls": recent, "previous_calls": previous}


def user_insights(
    memories: Sequence[Memory],
    *,
    caller: str,
    agent_type: str,
    now: datetime,
    config: AnalyticsConfig,
    matcher: TopicMatcher,
) -> dict[str, Any]:
    """``caller`` is how the caller is shown (masked); the memories are theirs, live, of one agent type."""
    calls = calls_of(memories)
    times = [memory.created_at for memory in memories]
    first = min(times).isoformat() if times else None
    last = max(times).isoformat() if times else None
    by_type = Counter(memory.type for memory in memories)
    shown_trend = trend(calls, now=now, window_days=config.trend_window_days)
    return {
        "caller": caller,
        "agent_type": agent_type,
        "total_memories": len(memories),
        "memories_by_type": dict(sorted(by_type.items())),
        "date_range": {"first": first, "last": last},
        "calls": len(calls),
        "top_topics": top(matcher.count(memory.text for memory in memories), config.top_topics),
        "engagement_level": engagement_level(len(calls), len(memories), config),
        "last_interaction": last,
        "trend": shown_trend.pop("trend"),
        "trend_basis": shown_trend,
    }
