"""The memory record and what a search returns."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

# a break between words of a field's name: separators, and where a lower case letter or digit meets a capital
# ("partySize") or an acronym meets a word ("HTTPStatus")
_NAME_BREAK = re.compile(r"[\s_.\-]+|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


@lru_cache(maxsize=4096)
def field_label(name: str) -> str:
    """How a collected field's name reads in its memory, the pre-call context and the search: ``party_size``,
    ``partySize`` and ``party-size`` all read "party size" (platforms' extraction schemas name fields either way, and
    a question says "party size"). Acronyms keep their capitals ("customer ID")."""
    parts = [part for part in _NAME_BREAK.split(name) if part]
    return " ".join(part.lower() if part[1:].islower() else part for part in parts) or name


@lru_cache(maxsize=4096)
def field_key(name: str) -> str:
    """A field's name however a platform's schema writes it: ``callerName``, ``caller-name`` and ``caller_name`` are
    all ``caller_name`` (to compare a stored field with a configured one)."""
    return "_".join(field_label(name).lower().split())


@dataclass(frozen=True)
class Memory:
    """One remembered thing about one caller, scoped to one agent type.

    ``id`` is deterministic for memories derived from a post-call event (event key + position), so a
    redelivered event writes the same ids again and changes nothing. ``created_at`` is the call's time,
    not the processing time. ``vector`` is the text's meaning as packed by ``shared.memory.vectors`` (``None``
    until embedded); stores keep it as opaque bytes.
    """

    id: str
    user_id: str
    agent_type: str
    type: str
    text: str
    created_at: datetime
    expires_at: datetime | None = None
    conversation_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    vector: bytes | None = field(default=None, repr=False, compare=False)

    @classmethod
    def loaded(
        cls,
        id: str,
        user_id: str,
        agent_type: str,
        type: str,
        text: str,
        created_at: datetime,
        expires_at: datetime | None,
        conversation_id: str | None,
        metadata: dict[str, Any],
        vector: bytes | None,
    ) -> Memory:
        """A memory read back from a store, every field given: a search builds each of the caller's memories, and
        the frozen dataclass's ``__init__`` (one ``object.__setattr__`` a field) took a fifth of loading them."""
        memory = object.__new__(cls)
        memory.__dict__.update(
            id=id,
            user_id=user_id,
            agent_type=agent_type,
            type=type,
            text=text,
            created_at=created_at,
            expires_at=expires_at,
            conversation_id=conversation_id,
            metadata=metadata,
            vector=vector,
        )
        return memory

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


@dataclass(frozen=True)
class ScoredMemory:
    """A search result. ``until`` is set when a newer value of the same field replaced this one (a past fact), or
    when this memory states only a value that a newer one replaced ("give every month, twenty-five dollars")."""

    memory: Memory
    score: float
    until: datetime | None = None
    changed: str | None = None  # for a summary or turn stating replaced values: those values' fields

    @property
    def text(self) -> str:
        """What the agent is told: a past value says so, with the date it stopped being current (and, for a
        summary or turn, which of the values it states have changed since)."""
        if self.until is None:
            return self.memory.text
        past = f"previously: {self.memory.text.rstrip(' .')}, until {self.until.date().isoformat()}"
        return f"{past} (changed since: {self.changed})" if self.changed else past
