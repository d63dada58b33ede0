"""What a call becomes: its summary (factual), its structured extraction (typed field memories) and the
caller's own turns (for search). Ids are derived from the event's idempotency key, so a redelivered or
replayed event writes the same memories again and the store keeps one copy."""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

from shared.memory.manager import MemoryManager
from shared.memory.models import Memory, field_label

if TYPE_CHECKING:
    from datetime import datetime

    from shared.providers.base import PostCallEvent

MAX_TURNS = 300
MAX_TEXT = 4000
# What an extraction model writes when the call did not say ("N/A", "Not mentioned", "unknown"): no value at all.
# Stored, it would replace the value an earlier call gave ("allergies: penicillin" shown as past). "None" and "no"
# stay: they answer ("allergies: none").
_NO_VALUE = re.compile(
    r"(?:n/?a|null|nil|unknown|unspecified|undefined|-+|\?+|not (?:mentioned|provided|specified|stated|available|"
    r"applicable|given|discussed|known|captured|collected|asked|disclosed|confirmed)\b.*|no (?:info|information|data|"
    r"answer|value|details?)\b.*)",
    re.IGNORECASE,
)
# A template variable the platform left unrendered ("{{ customer.number }}", "{{system__caller_id}}", a Liquid tag):
# nobody said it, and greeted back it breaks the platform's own template ("Hello {{!").
_UNRENDERED = re.compile(r"\{\{.*\}\}|\{%.*%\}", re.DOTALL)


def says_nothing(value: str) -> bool:
    """Whether an extracted value is a placeholder for "not said" rather than something the caller said."""
    value = value.strip()
    return _NO_VALUE.fullmatch(value.rstrip(".!")) is not None or _UNRENDERED.fullmatch(value) is not None


def memory_id(agent_type: str, event_key: str, part: str) -> str:
    return "m_" + hashlib.sha256(f"{agent_type}|{event_key}|{part}".encode()).hexdigest()[:32]


def memories_from_call(
    event: PostCallEvent, user_id: str, manager: MemoryManager, *, received_at: datetime
) -> list[Memory]:
    config = manager.config
    when = event.occurred_at or received_at
    common = {"event": event.idempotency_key}
    if event.conversation_id:
        common["conversation_id"] = event.conversation_id

    def build(part: str, type_: str, text: str, **metadata: str) -> Memory:
        return manager.build(
            id=memory_id(manager.agent_type, event.idempotency_key, part),
            user_id=user_id,
            type=type_,
            text=text[:MAX_TEXT],
            created_at=when,
            conversation_id=event.conversation_id,
            # bounded like the text: a 450 KB collected value copied whole broke DynamoDB's 400 KB item (and
            # Firestore's 1 MiB document), and the whole call was dead-lettered
            metadata={key: value[:MAX_TEXT] for key, value in {**common, **metadata}.items()},
        )

    memories = []
    if event.summary and event.summary.strip():
        extra = {"outcome": event.outcome} if event.outcome else {}
        memories.append(build("summary", config.summary_type, event.summary.strip(), source="summary", **extra))
    for name, value in sorted(event.fields.items()):
        if value.strip() and not says_nothing(value):
            label = field_label(name)
            memories.append(
                build(
                    f"field:{name}",
                    config.field_types.get(name, config.default_field_type),
                    f"{label}: {value.strip()}",
                    source="extraction",
                    field=name,
                    value=value.strip(),
                )
            )
    if config.store_caller_turns:
        for index, turn in enumerate(event.caller_turns[:MAX_TURNS]):
            if turn.strip():
                memories.append(build(f"turn:{index}", config.transcript_type, turn.strip(), source="caller_turn"))
    return memories
