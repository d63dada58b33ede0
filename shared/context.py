"""The pre-call answer's content: what we say we remember, and the greeting. Platform-neutral."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from shared.config.models import AgentType
from shared.memory.models import Memory
from shared.providers.base import CallerContext

NEW_CALLER_SUMMARY = "New caller"
NEW_CALLER_CONTEXT = "New caller: this is their first call; nothing is remembered about them yet."


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def greeting(config: AgentType, returning: bool, fields: Mapping[str, str]) -> str:
    messages = config.response.first_message
    if not returning:
        template = messages.new
    elif fields.get("caller_name"):
        template = messages.returning
    else:
        template = messages.returning_unnamed
    return " ".join(template.format_map(_Blank(fields)).split())


def _day(memory: Memory) -> str:
    return memory.created_at.date().isoformat()


def describe(config: AgentType, memories: Sequence[Memory], fields: Mapping[str, str], call_count: int) -> str:
    """Plain text an agent's prompt can hold in ``{{memory_context}}``: facts first, newest first."""
    if not memories:
        return NEW_CALLER_CONTEXT
    memory = config.memory
    limit = memory.context_limit
    lines = [f"Returning caller: {call_count} previous call(s), the last on {_day(memories[0])}."]
    known = [f"- {name.replace('_', ' ')}: {value}" for name, value in fields.items() if value]
    if known:
        lines += ["Known about the caller:", *known]
    summaries = [m for m in memories if m.metadata.get("source") == "summary"]
    if summaries:
        lines += ["Previous calls:", *(f"- {_day(m)}: {m.text}" for m in summaries[:limit])]
    facts = [m for m in memories if m.metadata.get("source") == "extraction"]
    if facts:
        lines += ["Details collected:", *(f"- {m.text}" for m in facts[:limit])]
    others = [m for m in memories if m.metadata.get("source") not in ("summary", "extraction", "caller_turn")]
    if others:
        lines += ["Other memories:", *(f"- {m.text}" for m in others[:limit])]
    return "\n".join(lines)


def caller_context(
    config: AgentType,
    *,
    caller_id: str,
    user_id: str | None,
    memories: Sequence[Memory],
    fields: Mapping[str, str],
    degraded: bool = False,
) -> CallerContext:
    calls = {m.conversation_id or m.metadata.get("event") or m.id for m in memories}
    summaries = [m for m in memories if m.metadata.get("source") == "summary"]
    summary = (summaries or list(memories))[0].text if memories else NEW_CALLER_SUMMARY
    returning = bool(memories)
    return CallerContext(
        caller_id=caller_id,
        user_id=user_id,
        returning=returning,
        memory_count=len(memories),
        call_count=len(calls),
        summary=summary,
        context=describe(config, memories, fields, len(calls)),
        first_message=greeting(config, returning, fields),
        fields=dict(fields),
        degraded=degraded,
    )


UNKNOWN_CALLER_SUMMARY = "Unknown caller"
UNKNOWN_CALLER_CONTEXT = (
    "The caller could not be identified (their number is withheld or the call has none): nothing is remembered "
    "about them, and nothing from this call will be remembered."
)


def unknown_caller_context(config: AgentType) -> CallerContext:
    """The answer for a caller nothing identifies: every variable present, a neutral greeting, no memory read."""
    fields = {name: "" for name in config.memory.auto_extract}
    return CallerContext(
        caller_id="",
        user_id=None,
        returning=False,
        memory_count=0,
        call_count=0,
        summary=UNKNOWN_CALLER_SUMMARY,
        context=UNKNOWN_CALLER_CONTEXT,
        first_message=greeting(config, False, fields),
        fields=fields,
        known=False,
    )
