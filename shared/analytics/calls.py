"""Calls as analytics count them: distinct conversation ids per caller, timed by their earliest memory.

Memories carry the call's time (``created_at``), not the processing time, so a call's start is the earliest
``created_at`` among its memories. A memory with no conversation id is counted as a memory but not as a call.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from shared.memory.models import Memory


@dataclass(frozen=True)
class Call:
    user_id: str
    conversation_id: str
    started_at: datetime


def calls_of(memories: Iterable[Memory]) -> list[Call]:
    """One ``Call`` per (caller, conversation id), oldest first."""
    starts: dict[tuple[str, str], datetime] = {}
    for memory in memories:
        if not memory.conversation_id:
            continue
        key = (memory.user_id, memory.conversation_id)
        known = starts.get(key)
        if known is None or memory.created_at < known:
            starts[key] = memory.created_at
    calls = [Call(user, conversation, started) for (user, conversation), started in starts.items()]
    return sorted(calls, key=lambda call: (call.started_at, call.user_id, call.conversation_id))
