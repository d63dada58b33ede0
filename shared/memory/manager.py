"""Policy over a ``MemoryStore``: the agent type's memory types, retention and search limit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from shared.clock import Clock, utc_now
from shared.config.models import MemoryConfig
from shared.errors import Unprocessable
from shared.memory.models import Memory, ScoredMemory
from shared.memory.store import MemoryStore

CONTEXT_WINDOW = 500  # newest memories read before a call; enough for every figure the greeting uses


class MemoryManager:
    def __init__(self, store: MemoryStore, agent_type: str, config: MemoryConfig, *, clock: Clock = utc_now) -> None:
        self.store = store
        self.agent_type = agent_type
        self.config = config
        self._clock = clock

    def build(
        self,
        *,
        id: str,
        user_id: str,
        type: str,
        text: str,
        created_at: datetime,
        conversation_id: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Memory:
        """A memory of a configured type with its ``expires_at``; an unsupported type is rejected, not relabelled."""
        if type not in self.config.types:
            raise Unprocessable(f"memory type {type!r} is not configured for agent type {self.agent_type!r}")
        return Memory(
            id=id,
            user_id=user_id,
            agent_type=self.agent_type,
            type=type,
            text=text,
            created_at=created_at,
            expires_at=created_at + timedelta(days=self.config.retention_for(type)),
            conversation_id=conversation_id,
            metadata=dict(metadata or {}),
        )

    def add(self, memories: Sequence[Memory]) -> int:
        """Store what is not already past its retention (a replayed old event adds nothing expired)."""
        now = self._clock()
        for memory in memories:
            if memory.type not in self.config.types:
                raise Unprocessable(f"memory type {memory.type!r} is not configured for agent type {self.agent_type!r}")
        return self.store.add([m for m in memories if not m.is_expired(now)])

    def recent(self, user_id: str, *, types: Sequence[str] | None = None, limit: int | None = None) -> list[Memory]:
        return self.store.get_all(
            user_id, self.agent_type, now=self._clock(), types=types, limit=limit or CONTEXT_WINDOW
        )

    def search(self, user_id: str, query: str, *, limit: int | None = None) -> list[ScoredMemory]:
        wanted = min(limit or self.config.search_limit, self.config.search_limit)
        return self.store.search(user_id, self.agent_type, query, now=self._clock(), limit=wanted)
