"""What an operator sees of one caller (the console's caller page): the pre-call answer the platform would receive
for the next call, what the in-call search tool would answer, and the memories with past field values marked.

The previews run the very code the platform routes run (``shared.answers``), so they cannot drift from what a call
gets; like those, they write and count nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
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


def memory_json(memory: Memory, past: Mapping[str, datetime] | None = None) -> dict[str, Any]:
    """One memory as the admin API lists it; ``past_since`` (when a later call changed the value) is null for a
    current value. ``past`` comes from ``shared.memory.ranking.past_values``, as search marks past values."""
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
        "past_since": replaced.isoformat() if replaced else None,
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
            "variant": context.variant,
            "degraded": context.degraded,
        },
        "answer": answer,
    }


def search_preview(
    profile: AgentProfile, service: MemoryService, raw_caller: str, user_id: str, query: str | None
) -> dict[str, Any]:
    """The answer ``/retrieve`` would give the agent for ``query`` (``answer``, in the platform's format), the text the
    agent reads in it (``heard``) and its matches."""
    text = (query or "").strip()
    if not text:
        raise BadRequest("query parameter q is required")
    if len(text) > MAX_QUERY:
        raise BadRequest(f"query parameter q must be at most {MAX_QUERY} characters")
    call = ToolCall(query=text, **CONSOLE_CALL)
    [found], answer = tool_answer(profile, service, ToolRequest(caller=raw_caller, calls=[call]))
    return {
        "caller": mask(user_id),
        "query": text,
        "heard": found.as_text(),
        "matches": found.as_json()["memories"],
        "answer": answer,
    }
