"""Policy over a ``MemoryStore``: the agent type's memory types, retention, search limit and ranking settings.

Meaning vectors are computed here (lazily importing ``shared.memory.embedding``): when memories are added (the
worker) and, for memories stored before vectors existed, on their first search, which stores them back. The
pre-call path (``recent``) never loads the model.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from shared.clock import Clock, utc_now
from shared.config.models import MemoryConfig
from shared.errors import Unprocessable, failure
from shared.memory.models import Memory, ScoredMemory
from shared.memory.names import CALLER_NAME_FIELDS, without_callers_name
from shared.memory.ranking import RankSettings, rank
from shared.memory.store import RANK_WINDOW, MemoryStore

log = logging.getLogger("agentic_memory.memory")

CONTEXT_WINDOW = 500  # newest memories read before a call; enough for every figure the greeting uses
MAX_QUERY_CHARS = 1000  # a question, as an agent's model words it, is a sentence or two
HISTORY_LIMIT = 5000  # beyond the window, a caller's older summaries and collected fields (one or a few a call)


def model_ready() -> bool:
    """Whether the bundled embedding model loads. A bundle shipped without it (or with it damaged) still answers the
    tool, by words, and still stores every call, without meaning vectors: they are added on a search once the model
    is back (``fill_vectors``) or by ``agentic-memory reindex``. Before, every tool call was a 500 and every post-call
    event was retried into the dead letters."""
    from shared.memory.embedding import model

    try:
        model()
    except (OSError, ValueError) as exc:  # missing or unreadable files; ValueError: files that do not fit together
        log.error(
            "the embedding model could not be loaded (%s); searching by words, storing without vectors", failure(exc)
        )
        return False
    return True


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
        live = [m for m in memories if not m.is_expired(now)]
        if self.embeds and model_ready():
            from shared.memory.embedding import with_vectors

            live = with_vectors(live)
        return self.store.add(live)

    @property
    def embeds(self) -> bool:
        """Whether memories get meaning vectors: semantic search on and a store that ranks with ours."""
        return self.config.semantic_search and not self.store.ranks_itself

    def rank_settings(self) -> RankSettings:
        ranking = self.config.ranking
        return RankSettings(
            semantic=self.config.semantic_search,
            lexical_weight=ranking.lexical_weight,
            semantic_weight=ranking.semantic_weight,
            word_weight=ranking.word_weight,
            word_floor=ranking.word_floor,
            recency_weight=ranking.recency_weight,
            recency_half_life_days=ranking.recency_half_life_days,
            semantic_floor=ranking.semantic_floor,
            min_score=ranking.min_score,
            contrast_similarity=ranking.contrast_similarity,
            closest_limit=ranking.closest_limit,
            closest_margin=ranking.closest_margin,
            alike_gap=ranking.alike_gap,
            recency_tie=ranking.recency_tie,
            answer_kind_weight=ranking.answer_kind_weight,
            caller_name_fields=self._caller_name_fields(),
        )

    def _caller_name_fields(self) -> frozenset[str]:
        """The fields that hold the caller's own name: the usual ones and this agent type's aliases for it."""
        rule = self.config.auto_extract.get("caller_name")
        return CALLER_NAME_FIELDS | frozenset(rule.fields if rule else ())

    def recent(self, user_id: str, *, types: Sequence[str] | None = None, limit: int | None = None) -> list[Memory]:
        return self.store.get_all(
            user_id, self.agent_type, now=self._clock(), types=types, limit=limit or CONTEXT_WINDOW
        )

    def before_call(self, user_id: str) -> list[Memory]:
        """What the pre-call answer is made from, newest first: the newest ``CONTEXT_WINDOW`` memories and, for a
        caller who has more, every older one that is not a transcript turn (summaries and collected fields). A
        name or a policy number given in the first of 76 calls stays in the greeting and the context."""
        window = self.recent(user_id)
        if len(window) < CONTEXT_WINDOW:
            return window
        kinds = [kind for kind in self.config.types if kind != self.config.transcript_type]
        if not kinds:
            return window
        seen = {memory.id for memory in window}
        older = self.store.get_all(user_id, self.agent_type, now=self._clock(), types=kinds, limit=HISTORY_LIMIT)
        return window + [memory for memory in older if memory.id not in seen]

    def search(self, user_id: str, query: str, *, limit: int | None = None) -> list[ScoredMemory]:
        query = query[:MAX_QUERY_CHARS]  # a 0.8 MB "question" held a local server for 7 s; none is this long
        wanted = min(limit or self.config.search_limit, self.config.search_limit)
        now = self._clock()
        if not self.embeds or not model_ready():  # without the model: words only, as with semantic search off
            settings = replace(self.rank_settings(), semantic=False)
            return self.store.search(user_id, self.agent_type, query, now=now, limit=wanted, settings=settings)
        from shared.memory.embedding import embed_query, word_similarities

        memories = self.fill_vectors(self.store.get_all(user_id, self.agent_type, now=now, limit=RANK_WINDOW))
        settings = self.rank_settings()
        return rank(
            query,
            memories,
            now=now,
            settings=settings,
            query_vector=embed_query(without_callers_name(query, memories, settings.caller_name_fields)),
            word_similarities=word_similarities,
            limit=wanted,
        )

    def reindex(self) -> tuple[int, int]:
        """Vectors for every stored memory of this agent type that has none (``agentic-memory reindex``);
        returns (callers seen, memories given a vector). Nothing to do with semantic search off or on Mem0."""
        if not self.embeds:
            return 0, 0
        callers = vectors = 0
        for user_id in self.store.users(self.agent_type, now=self._clock()):
            memories = self.store.get_all(user_id, self.agent_type, now=self._clock())
            filled = self.fill_vectors(memories)
            callers += 1
            vectors += sum(1 for before, after in zip(memories, filled, strict=True) if before.vector != after.vector)
        return callers, vectors

    def fill_vectors(self, memories: Sequence[Memory]) -> list[Memory]:
        """Memories written before vectors existed, or by an older model, get theirs now and the store keeps them
        (first use)."""
        from shared.memory.embedding import with_vectors

        filled = with_vectors(memories)
        added = [
            after
            for before, after in zip(memories, filled, strict=True)
            if after.vector is not None and after.vector != before.vector
        ]
        if added:
            self.store.set_vectors(added)
        return filled
