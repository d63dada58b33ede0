"""``Memory.loaded``, the stores' fast path, builds the very memory the dataclass would; a field's name reads as
words whatever the platform's naming."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from shared.memory.models import Memory, field_label

VALUES = {
    "id": "m1",
    "user_id": "+15555550123",
    "agent_type": "support",
    "type": "factual",
    "text": "caller name: Dana Whitfield",
    "created_at": datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
    "expires_at": None,
    "conversation_id": "conv-1",
    "metadata": {"field": "caller_name", "value": "Dana Whitfield"},
    "vector": b"\x02\x00\x3c",
}


def test_loaded_equals_the_dataclass_and_sets_every_field() -> None:
    built, loaded = Memory(**VALUES), Memory.loaded(**VALUES)
    assert loaded == built
    assert vars(loaded) == vars(built)  # a field added to Memory and not to ``loaded`` fails here
    assert [f.name for f in dataclasses.fields(Memory)] == list(vars(loaded))


def test_loaded_is_as_frozen_as_the_dataclass() -> None:
    loaded = Memory.loaded(**VALUES)
    with pytest.raises(dataclasses.FrozenInstanceError):
        loaded.text = "changed"  # type: ignore[misc]
    assert loaded.text == VALUES["text"]


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("party_size", "party size"),
        ("partySize", "party size"),
        ("PartySize", "party size"),
        ("party-size", "party size"),
        ("party.size", "party size"),
        ("new_appointment_time", "new appointment time"),
        ("appointmentDateTime", "appointment date time"),
        ("card_last_4", "card last 4"),
        ("customerID", "customer ID"),
        ("HTTPStatus", "HTTP status"),
        ("VIN", "VIN"),
        ("name", "name"),
    ],
)
def test_a_fields_name_reads_as_words(name: str, label: str) -> None:
    assert field_label(name) == label
