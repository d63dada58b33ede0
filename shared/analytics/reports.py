"""Analytics over a ``MemoryStore``: read live memories through the port, compute, never cache.

Nothing is stored besides the memories themselves, so erasing a caller erases their analytics too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from shared.analytics.agent import MAX_DAYS, agent_analytics
from shared.analytics.insights import user_insights
from shared.analytics.topics import TopicMatcher
from shared.analytics.variants import variant_analytics
from shared.clock import Clock, utc_now
from shared.config.models import AnalyticsConfig
from shared.errors import Unprocessable
from shared.identity import mask
from shared.memory.store import MemoryStore


class Analytics:
    def __init__(
        self,
        store: MemoryStore,
        agent_type: str,
        config: AnalyticsConfig,
        *,
        clock: Clock = utc_now,
        label: Callable[[str], str] = mask,
        declared: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """``declared``: the agent type's experiments and rollouts with their variants, baseline first."""
        self._store = store
        self._agent_type = agent_type
        self._config = config
        self._matcher = TopicMatcher(config.topics)
        self._clock = clock
        self._label = label
        self._declared = dict(declared or {})

    def user(self, user_id: str) -> dict[str, Any]:
        """A caller's insights (zeros for a caller with no live memory: that is the answer, not an error)."""
        now = self._clock()
        memories = self._store.get_all(user_id, self._agent_type, now=now)
        return user_insights(
            memories,
            caller=self._label(user_id),
            agent_type=self._agent_type,
            now=now,
            config=self._config,
            matcher=self._matcher,
        )

    def agent(self, days: int = 30) -> dict[str, Any]:
        """Raises ``Unprocessable`` for a period outside 1..MAX_DAYS days."""
        if not 1 <= days <= MAX_DAYS:
            raise Unprocessable(f"days must be between 1 and {MAX_DAYS}")
        now = self._clock()
        return agent_analytics(
            self._store.scan(self._agent_type, now=now),
            agent_type=self._agent_type,
            now=now,
            days=days,
            config=self._config,
            matcher=self._matcher,
            label=self._label,
        )

    def variants(self, days: int = 30) -> dict[str, Any]:
        """The experiments' variants compared (``by=variant``). Raises ``Unprocessable`` as ``agent`` does."""
        if not 1 <= days <= MAX_DAYS:
            raise Unprocessable(f"days must be between 1 and {MAX_DAYS}")
        now = self._clock()
        return variant_analytics(
            self._store.scan(self._agent_type, now=now),
            agent_type=self._agent_type,
            declared=self._declared,
            now=now,
            days=days,
        )
