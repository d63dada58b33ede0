"""The appointment extractor: structured fields first, then the summary, then the caller's words; and the
``next_appointment`` variable before the next call."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from example_processors.appointments import AppointmentExtractor, find_appointment

from shared.memory.models import Memory
from shared.processors import PostCall, PreCall
from shared.providers.base import CallerContext, PostCallEvent

WHEN = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (
            "She rescheduled her cleaning to Thursday the 29th at 2:30 PM; prefers afternoons.",
            "Thursday the 29th at 2:30 PM",
        ),
        ("Can I book an appointment for next Monday at 10am?", "next Monday at 10am"),
        ("Appointment booked for March 3rd, 9:15 am.", "March 3rd at 9:15 am"),
        ("I like Thursdays at 3pm for coffee.", None),  # no appointment word
        ("My appointment was fine, thanks.", None),  # no day and time
    ],
)
def test_find_appointment(text: str, found: str | None) -> None:
    assert find_appointment(text) == found


def post_call(event: PostCallEvent, types: tuple[str, ...] = ("factual", "appointment")) -> PostCall:
    def build(*, part: str, type: str, text: str, metadata: dict[str, Any]) -> Memory:
        return Memory(f"id-{part}", "+15555550123", "t", type, text, WHEN, None, "c1", metadata)

    return PostCall("appointments", "t", "+15555550123", event, [], types, build)


def test_a_structured_field_wins_over_the_summary() -> None:
    event = PostCallEvent(
        "k", "e", True, summary="Booked a visit for Friday at 9am.", fields={"new_appointment_time": "2026-01-29T14:30"}
    )
    [added] = AppointmentExtractor().post_call(post_call(event))
    assert (added.type, added.text, added.metadata["value"]) == (
        "appointment",
        "Appointment: 2026-01-29T14:30",
        "2026-01-29T14:30",
    )
    assert added.id == "id-processor:appointments:appointment"  # one per call: a replay writes the same id


def test_the_callers_words_are_the_last_resort_and_the_type_falls_back_to_factual() -> None:
    event = PostCallEvent(
        "k", "e", True, summary="A short call.", caller_turns=["Hi.", "Please book me for tomorrow at 4 pm."]
    )
    [added] = AppointmentExtractor().post_call(post_call(event, types=("factual",)))
    assert (added.type, added.metadata["value"]) == ("factual", "tomorrow at 4 pm")
    assert AppointmentExtractor().post_call(post_call(PostCallEvent("k", "e", True, summary="Nothing booked."))) == []


def test_before_the_next_call_the_newest_appointment_is_a_variable() -> None:
    context = CallerContext("+15555550123", "+15555550123", True, 2, 2, "s", "c", "Hi", {"caller_name": "Dana"})
    older = Memory(
        "a",
        "+15555550123",
        "t",
        "appointment",
        "x",
        WHEN,
        None,
        "c0",
        {"processor": "appointments", "value": "Monday at 9am"},
    )
    newer = replace(older, id="b", metadata={"processor": "appointments", "value": "Friday at 2pm"})
    shown = AppointmentExtractor().pre_call(PreCall("appointments", "t", context, [newer, older]))
    assert shown.fields == {"caller_name": "Dana", "next_appointment": "Friday at 2pm"}
    assert AppointmentExtractor().pre_call(PreCall("appointments", "t", context, [])).fields["next_appointment"] == ""
