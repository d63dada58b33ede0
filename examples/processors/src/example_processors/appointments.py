"""``appointments``: remember the appointment a call made, and say it before the next call.

Post-call: a structured field whose name mentions an appointment wins (the platform's own extraction); else the
first sentence of the summary, then of the caller's words, that mentions an appointment word and names a day and
a time. One memory per call, so a replayed event writes the same memory again. Pre-call: the newest such memory
becomes the dynamic variable ``next_appointment``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.memory.models import Memory
    from shared.processors import PostCall, PreCall
    from shared.providers.base import CallerContext

NAME = "appointments"
VARIABLE = "next_appointment"
_WORDS = re.compile(
    r"(?i)\b(appointment|booked|book|scheduled|schedule|reschedul\w*|moved?|cleaning|visit|check-?up)\b"
)
_DAY = (
    r"(?:(?:next|this)\s+)?(?:mon|tues|wednes|thurs|fri|satur|sun)day(?:,?\s+(?:the\s+)?\d{1,2}(?:st|nd|rd|th)?)?"
    r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?"
    r"|tomorrow|\d{4}-\d{2}-\d{2}"
)
_TIME = r"\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2}|noon"
_WHEN = re.compile(rf"(?i)\b(?P<day>{_DAY})\b(?:[\s,]+\w+){{0,3}}?[\s,]+(?:at\s+)?(?P<time>{_TIME})")
_SENTENCES = re.compile(r"(?<=[.!?])\s+")


def find_appointment(text: str) -> str | None:
    """``"Thursday the 29th at 2:30 PM"`` from a sentence that is about an appointment; None otherwise."""
    for sentence in _SENTENCES.split(text):
        if not _WORDS.search(sentence):
            continue
        found = _WHEN.search(sentence)
        if found:
            return f"{found['day']} at {found['time']}".strip()
    return None


class AppointmentExtractor:
    variables = (VARIABLE,)  # sent empty when this processor is skipped: a prompt may name it

    def post_call(self, call: PostCall) -> list[Memory]:
        memories = list(call.memories)
        when = next(
            (value for name, value in sorted(call.event.fields.items()) if "appointment" in name and value.strip()),
            None,
        )
        when = when or find_appointment(call.event.summary or "")
        when = when or next((w for turn in call.event.caller_turns if (w := find_appointment(turn))), None)
        if when:
            kind = "appointment" if "appointment" in call.memory_types else "factual"
            memories.append(
                call.new_memory("appointment", kind, f"Appointment: {when}", field="appointment", value=when)
            )
        return memories

    def pre_call(self, call: PreCall) -> CallerContext:
        newest = next((m for m in call.memories if m.metadata.get("processor") == NAME), None)
        value = str(newest.metadata.get("value", "")) if newest is not None else ""
        return replace(call.context, fields={**call.context.fields, VARIABLE: value})
