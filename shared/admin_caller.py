"""What an operator sees of one caller (the console's caller page): the pre-call answer the platform would receive
for the next call, what the in-call search tool would answer, and the memories with past field values marked.

The previews run the very code the platform routes run (``shared.answers``), so they cannot drift from what a call
gets; like those, they write and count nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shared.answers import pre_call_answer, tool_answer
from shared.errors import BadRequest
from shared.identity import mask
from shared.memory.models import Memory
from shared.profile import AgentProfile
from shared.providers.base import PreCallRequest, ToolCall, ToolRequest
from shared.service import MemoryService

MAX_QUERY = 1000
# what a preview tool call carries (Vapi echoes both back)
CONSOLE_CALL = {"call_id": "console-preview", "name": "search_memory"}


def past_values(memories: Sequence[Memory]) -> dict[str, str]:
    """Memory id -> when its value was replaced, for the field values a later call changed.

    ``memories`` newest first. A field memory (``metadata["field"]``) is past when the field's newest value differs
    from it; it was replaced by the first newer memory of the field with another value. A value said again is not
    past, nor an old value that is current again. A memory its store marked (``metadata["superseded_at"]``) is past.
    """
    past: dict[str, str] = {}
    current: dict[str, str] = {}
    newer: dict[str, Memory] = {}  # per field, the memory just newer than the one at hand
    for memory in memories:
        marked = memory.metadata.get("superseded_at")
        if isinstance(marked, str) and marked:
            past[memory.id] = marked
        field = memory.metadata.get("field")
        if not isinstance(field, str) or not field:
            continue
        value = _value(memory)
        later = newer.get(field)
        newer[field] = memory
        if later is None:
            current[field] = value
        elif value != current[field] and memory.id not in past:
            same_as_later = value == _value(later)
            past[memory.id] = past.get(later.id, "") if same_as_later else later.created_at.isoformat()
    return past


def _value(memory: Memory) -> str:
    value = memory.metadata.get("value")
    return " ".join(str(value if value is not None else memory.text).split()).casefold()


def memory_json(memory: Memory, past: Mapping[str, str] | None = None) -> dict[str, Any]:
    """One memory as the admin API lists it; ``past_since`` is null for a current value."""
    replaced = (past or {}).get(memory.id)
    return {
        "id": memory.id,
        "type": memory.type,
        "text": memory.text,
        "created_at": memory.created_at.isoformat(),
        "expires_at": memory.expires_at.isoformat() if memory.expires_at else None,
        "conversation_id": memory.conversation_id,
        "source": memory.metadata.get("source"),
        "field": memory.metadata.get("field"),
        "past": replaced is not None,
        "past_since": replaced,
    }


def pre_call_preview(profile: AgentProfile, service: MemoryService, raw_caller: str, user_id: str) -> dict[str, Any]:
    """The answer ``/client-data`` would give for a call from ``raw_caller`` now (``answer``, in the platform's own
    format), and what it says in one shape for every platform (``next_call``)."""
    context, answer = pre_call_answer(profile, service, PreCallRequest(caller=raw_caller))
    return {
        "caller": mask(user_id),
        "agent_type": profile.name,
        "provider": profile.config.provider,
        "next_call": {
            "returning": context.returning,
            "call_count": context.call_count,
            "memory_count": context.memory_count,
            "summary": context.summary,
            "context": context.context,
            "first_message": context.first_message,
            "first_message_sent": profile.config.response.send_first_message,
            "fields": context.fields,
            "degraded": context.degraded,
        },
        "answer": answer,
    }


def search_preview(
    profile: AgentProfile, service: MemoryService, raw_caller: str, user_id: str, query: str | None
) -> dict[str, Any]:
    """The answer ``/retrieve`` would give the agent for ``query`` (``answer``), and its matches for a table."""
    text = (query or "").strip()
    if not text:
        raise BadRequest("query parameter q is required")
    if len(text) > MAX_QUERY:
        raise BadRequest(f"query parameter q must be at most {MAX_QUERY} characters")
    call = ToolCall(query=text, **CONSOLE_CALL)
    [found], answer = tool_answer(profile, service, ToolRequest(caller=raw_caller, calls=[call]))
    return {"caller": mask(user_id), "query": text, "matches": found.as_json()["memories"], "answer": answer}
