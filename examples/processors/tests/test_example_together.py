"""Both examples in the order the README enables them: nothing either one stores or sends holds a card number."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from example_processors.appointments import AppointmentExtractor
from example_processors.redactor import CardNumberRedactor

from shared.config.loader import load_agent_type
from shared.memory.models import Memory
from shared.processors.runner import Processors
from shared.providers.base import CallerContext, PostCallEvent

README = Path(__file__).resolve().parents[1] / "README.md"
CALLER = "+15555550123"
WHEN = datetime(2030, 1, 1, tzinfo=UTC)


def documented_processors() -> dict[str, Any]:
    """The ``"processors": {...}`` line of the README, as a user copies it."""
    [line] = [line for line in README.read_text().splitlines() if line.startswith('"processors":')]
    return json.loads("{" + line + "}")["processors"]


def test_the_redactor_runs_after_the_processor_that_adds_memories() -> None:
    documented = documented_processors()
    config = load_agent_type("elevenlabs_customer_support")
    config = config.model_copy(update={"processors": config.processors.model_copy(update=documented)})
    processors = Processors("t", {"redact_card_numbers": CardNumberRedactor(), "appointments": AppointmentExtractor()})

    def build(*, part: str, type: str, text: str, metadata: dict[str, Any]) -> Memory:
        return Memory(f"id-{part}", CALLER, "t", type, text, WHEN, None, "c1", metadata)

    event = PostCallEvent(
        "k", "e", True, caller=CALLER, fields={"appointment_time": "Friday at 3pm, card 5555 5555 5555 4444"}
    )
    stored = processors.post_call(config, user_id=CALLER, event=event, memories=[], build=build)
    assert [m.text for m in stored] == ["Appointment: Friday at 3pm, card [card ending 4444]"]
    context = CallerContext(CALLER, CALLER, True, 1, 1, "", "", "Hello", {})
    sent = processors.pre_call(config, context, stored)
    assert sent.fields["next_appointment"] == "Friday at 3pm, card [card ending 4444]"
    assert not re.search(r"5555\D?5555", repr(stored) + repr(sent))
