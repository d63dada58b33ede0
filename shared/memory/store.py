"""The ``MemoryStore`` port: a few IO methods every backend implements the same way.

Policy (types, retention, limits) lives in ``MemoryManager``; a backend only stores, filters and ranks.
Every read takes ``now`` and never returns a memory whose ``expires_at`` is at or before it.
Backends raise ``NotFound`` for a missing memory and wrap any backend failure in ``StoreUnavailable``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime

from shared.memory.models import Memory, ScoredMemory


class MemoryStore(ABC):
    @abstractmethod
    def add(self, memories: Sequence[Memory]) -> int:
        """Store memories; a memory whose id is already stored is left as it is. Returns how many were new."""

    @abstractmethod
    def get_all(
        self,
        user_id: str,
        agent_type: str,
        *,
        now: datetime,
        types: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[Memory]:
        """The caller's live memories for this agent type, newest first (by ``created_at``)."""

    @abstractmethod
    def search(
        self,
        user_id: str,
        agent_type: str,
        query: str,
        *,
        now: datetime,
        limit: int,
        types: Sequence[str] | None = None,
    ) -> list[ScoredMemory]:
        """The caller's live memories that best match ``query``, best first; never another caller's."""

    @abstractmethod
    def delete(self, memory_id: str) -> None:
        """Delete one memory. Raises ``NotFound`` if it does not exist."""

    @abstractmethod
    def erase_user(self, user_id: str) -> int:
        """Delete every memory of the caller, in every agent type. Returns how many were deleted."""

    @abstractmethod
    def delete_expired(self, now: datetime) -> int:
        """Delete every memory whose ``expires_at`` is at or before ``now``. Returns how many."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
