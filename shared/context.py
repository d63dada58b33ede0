"""The pre-call answer's content: what we say we remember, and the greeting. Platform-neutral."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from shared.config.models import AgentType
from shared.memory.auto_extract import preferred_name
from shared.memory.models import Memory, field_key, field_label
from shared.memory.names import part_of_name
from shared.memory.ranking import past_values
from shared.memory.subjects import TITLES, names_subject, subjects
from shared.memory.terms import small_talk
from shared.providers.base import CallerContext

NEW_CALLER_SUMMARY = "New caller"
NEW_CALLER_CONTEXT = "New caller: this is their first call; nothing is remembered about them yet."


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def first_name(full_name: str) -> str:
    """A greeting's name: "Dana" of "Dana Whitfield" (a title keeps the surname: "Dr Okafor", "Father Doyle"). A
    name written surname first, as records and extraction models often write it ("Whitfield, Dana"), is read in
    speaking order, and one written in one case ("DANA WHITFIELD", "maría ruiz") is greeted as a name is written
    ("Dana", "María"), not "Hello Whitfield," or "Hello DANA"."""
    head, comma, tail = full_name.partition(",")
    if comma and tail.split() and head.split() and tail.split()[0].rstrip(".").lower() not in _SUFFIXES:
        full_name = f"{tail} {head}"
    else:
        full_name = head
    words = full_name.split()
    if full_name.isupper() or full_name.islower():
        words = [word.title() for word in words]
    if len(words) > 1 and words[0].rstrip(".").lower() in TITLES:
        return f"{words[0]} {words[-1]}"
    return words[0] if words else ""


_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "phd", "md", "esq"})  # "Dana Whitfield, Jr."


def greeting(config: AgentType, returning: bool, fields: Mapping[str, str], preferred: str | None = None) -> str:
    """The first message; templates may use every auto-extracted field and ``{caller_first_name}``: the name the
    caller asked to be called (``preferred``), else the first name of ``caller_name``."""
    messages = config.response.first_message
    if not returning:
        template = messages.new
    elif fields.get("caller_name") or preferred:
        template = messages.returning
    else:
        template = messages.returning_unnamed
    values = _Blank(fields)
    values.setdefault("caller_first_name", preferred or first_name(fields.get("caller_name", "")))
    return " ".join(template.format_map(values).split())


def _day(memory: Memory) -> str:
    return memory.created_at.date().isoformat()


def _distinct(lines: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(lines))


def _details(memories: Sequence[Memory], limit: int, known: Collection[tuple[str, str]] = ()) -> list[str]:
    """One line per collected field, its current value (latest call) first, the newest past values with their end
    date (a value that is current again is not also a past one: "side gate (previously: front porch until ...)"). Two
    pets or children may each hold a current value of one field: both are listed, each with whom it is about."""
    past = past_values(memories)
    collected = [
        m for m in memories if m.metadata.get("source") == "extraction" and isinstance(m.metadata.get("field"), str)
    ]
    # newest call first; within one call (one time) by field name, not as the store happened to break the tie
    # (SQLite by insertion, DynamoDB and Firestore by memory id): the same answer from every store
    collected.sort(key=lambda m: (-m.created_at.timestamp(), field_key(str(m.metadata["field"])), m.id))
    by_field: dict[str, list[Memory]] = {}
    for memory in collected:
        by_field.setdefault(field_key(str(memory.metadata["field"])), []).append(memory)  # "Caller Name" is one
    lines = []
    for history in list(by_field.values())[:limit]:
        current = _distinct_values([m for m in history if m.id not in past]) or history[:1]
        if len(current) > 1:  # "Magdalena" beside "Magdalena Kowalczyk": one name, not two current values
            current = [m for m in current if not any(_part_of(m, other) for other in current)] or current
        field_value = (field_key(str(current[0].metadata.get("field"))), str(current[0].metadata.get("value")))
        if len(current) == 1 and field_value in known:  # "full name: Renata ..." under "caller name: Renata ..."
            continue
        line = f"- {current[0].text}"
        field = str(current[0].metadata.get("field"))
        if len(current) > 1:  # two pets' or children's values: "pet name: Waffles; Pickles", "species: dog (Waffles)"
            line = _per_subject(field, current, subjects(memories)) or line
        values = {str(m.metadata.get("value")) for m in current}
        replaced = [
            m
            for m in _distinct_values([m for m in history if m.id in past])
            if str(m.metadata.get("value")) not in values
        ]
        if replaced:
            ends = "; ".join(f"{m.metadata.get('value')} until {_day_of(past[m.id])}" for m in replaced[:PAST_VALUES])
            if len(replaced) > PAST_VALUES:
                ends += f"; {len(replaced) - PAST_VALUES} earlier"
            line += f" (previously: {ends})"
        lines.append(line)
    return lines


PAST_VALUES = 3
"""Past values shown per field, the newest first: an appointment moved on every one of 40 calls is one line, not 39
dates (the rest counted: "; 36 earlier")."""


def _part_of(memory: Memory, other: Memory) -> bool:
    """Whether ``memory`` holds part of the name ``other`` holds ("Magdalena" of "Magdalena Kowalczyk")."""
    field = str(memory.metadata.get("field"))
    return part_of_name(field, str(memory.metadata.get("value")), str(other.metadata.get("value")))


def _per_subject(field: str, current: Sequence[Memory], about: Mapping[str | None, str]) -> str | None:
    if names_subject(field):
        return f"- {field_label(field)}: {'; '.join(str(m.metadata.get('value')) for m in current)}"
    if all(m.conversation_id in about for m in current):
        values = "; ".join(f"{m.metadata.get('value')} ({about[m.conversation_id].title()})" for m in current)
        return f"- {field_label(field)}: {values}"
    return None


def _day_of(moment: datetime) -> str:
    return moment.date().isoformat()


def _distinct_values(memories: Sequence[Memory]) -> list[Memory]:
    """The newest memory of each value, newest first."""
    seen: dict[str, Memory] = {}
    for memory in memories:
        seen.setdefault(str(memory.metadata.get("value")), memory)
    return list(seen.values())


def describe(config: AgentType, memories: Sequence[Memory], fields: Mapping[str, str], call_count: int) -> str:
    """Plain text an agent's prompt can hold in ``{{memory_context}}``: facts first, newest first, each field
    once with its current value (a past value only with the date it stopped), no line twice."""
    if not memories:
        return NEW_CALLER_CONTEXT
    memory = config.memory
    limit = memory.context_limit
    lines = [f"Returning caller: {call_count} previous call(s), the last on {_day(memories[0])}."]
    known = [f"- {name.replace('_', ' ')}: {value}" for name, value in fields.items() if value]
    if known:
        lines += ["Known about the caller:", *known]
    summaries = _distinct([f"- {_day(m)}: {m.text}" for m in memories if m.metadata.get("source") == "summary"])
    if summaries:
        lines += ["Previous calls:", *summaries[:limit]]
    aliases = {name: [name, *rule.fields] for name, rule in memory.auto_extract.items()}
    said = {(field_key(alias), value) for name, value in fields.items() if value for alias in aliases.get(name, [name])}
    details = [line for line in _details(memories, memory.context_fields, said) if line not in known]
    if details:
        lines += ["Details collected:", *details]
    others = _distinct(
        [f"- {m.text}" for m in memories if m.metadata.get("source") not in ("summary", "extraction", "caller_turn")]
    )
    if others:
        lines += ["Other memories:", *others[:limit]]
    return "\n".join(lines)


NO_SUMMARY = "No summary of their previous calls was recorded."


def last_summary(memories: Sequence[Memory]) -> str:
    """``memory_summary``: the newest call summary; without one, the newest thing the caller said (the longest turn
    of that call, small talk aside), quoted and dated as theirs. Never whichever memory the store lists first among
    one call's (SQLite, DynamoDB and Firestore break that tie by memory id): a collected field's line or "Okay,
    thanks." read as the summary."""
    summaries = [m for m in memories if m.metadata.get("source") == "summary"]
    if summaries:
        return max(summaries, key=lambda m: m.created_at).text
    turns = [m for m in memories if m.metadata.get("source") == "caller_turn" and not small_talk(m.text)]
    if not turns:
        return NO_SUMMARY
    said = max(turns, key=lambda m: (m.created_at, len(m.text), m.text))
    return f'On {_day(said)} the caller said: "{said.text}"'


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
    summary = last_summary(memories) if memories else NEW_CALLER_SUMMARY
    returning = bool(memories)
    return CallerContext(
        caller_id=caller_id,
        user_id=user_id,
        returning=returning,
        memory_count=len(memories),
        call_count=len(calls),
        summary=summary,
        context=describe(config, memories, fields, len(calls)),
        first_message=greeting(config, returning, fields, preferred_name(memories, fields.get("caller_name", ""))),
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
