"""The ``MemoryStore`` port: a few IO methods every backend implements the same way.

Policy (types, retention, limits) lives in ``MemoryManager``; a backend only stores and filters. ``search`` is
built on ``get_all`` and the one ranking (``shared.memory.ranking.rank``): a store we run ourselves inherits it;
only a service with its own ranking (Mem0) overrides it.
Every read takes ``now`` and never returns a memory whose ``expires_at`` is at or before it.
Backends raise ``NotFound`` for a missing memory and wrap any backend failure in ``StoreUnavailable``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from datetime import datetime

from shared.memory.models import Memory, ScoredMemory
from shared.memory.ranking import DEFAULT_SETTINGS, RankSettings, rank

RANK_WINDOW = 1000  # newest memories a search ranks; a caller has tens to a few hundred


class MemoryStore(ABC):
    ranks_itself = False  # True for a service with its own ranking (Mem0): no vectors are computed for it
    # False for a store on local disk: a pre-call read it cannot stall on a network, and is made inline rather than
    # in a thread the deadline can leave behind (the hand-off costs more than such a read)
    reads_over_network = True

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
        """The caller's live memories for this agent type, newest first (by ``created_at``, then ``id`` descending: a
        call's memories share its time, and every backend must answer them in one order)."""

    def search(
        self,
        user_id: str,
        agent_type: str,
        query: str,
        *,
        now: datetime,
        limit: int,
        types: Sequence[str] | None = None,
        settings: RankSettings = DEFAULT_SETTINGS,
        query_vector: Sequence[float] | None = None,
    ) -> list[ScoredMemory]:
        """The caller's live memories that answer ``query``, best first; never another caller's."""
        memories = self.get_all(user_id, agent_type, now=now, types=types, limit=RANK_WINDOW)
        return rank(query, memories, now=now, settings=settings, query_vector=query_vector, limit=limit)

    def set_vectors(self, memories: Sequence[Memory]) -> int:
        """Store the meaning vectors of memories already stored (``Memory.vector`` of each); returns how many.

        Called for memories written before vectors existed or by an older model, on their first search or by
        ``agentic-memory reindex``. The default keeps nothing: search then embeds those memories again each time.
        """
        return 0

    @abstractmethod
    def delete(self, memory_id: str) -> None:
        """Delete one memory. Raises ``NotFound`` if it does not exist."""

    @abstractmethod
    def erase_user(self, user_id: str) -> int:
        """Delete every memory of the caller, in every agent type. Returns how many were deleted."""

    @abstractmethod
    def delete_expired(self, now: datetime) -> int:
        """Delete every memory whose ``expires_at`` is at or before ``now``. Returns how many."""

    # operator reads (admin, analytics) and upkeep; defaults are built on the methods above -----------------

    def users(self, agent_type: str, *, now: datetime) -> list[str]:
        """Every caller with a live memory of this agent type, in no particular order (analytics).

        No default can be built from the per-caller methods: every backend implements it.
        """
        raise NotImplementedError(f"{type(self).__name__} cannot list callers")

    def scan(self, agent_type: str, *, now: datetime) -> Iterator[Memory]:
        """Every live memory of this agent type, in no particular order; one pass for analytics."""
        for user_id in self.users(agent_type, now=now):
            yield from self.get_all(user_id, agent_type, now=now)

    def page(self, user_id: str, agent_type: str, *, now: datetime, limit: int, offset: int = 0) -> list[Memory]:
        """One page of ``get_all`` (newest first): ``limit`` memories after skipping ``offset``."""
        if limit <= 0:
            return []
        return self.get_all(user_id, agent_type, now=now, limit=offset + limit)[offset:]

    def compact(self) -> None:  # noqa: B027 - optional hook
        """Leave nothing deleted readable where the backend keeps deleted bytes around (files, logs)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
