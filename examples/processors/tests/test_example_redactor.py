"""The redactor on the text people actually say, and as a post-call processor over a call's memories."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from example_processors.redactor import CardNumberRedactor, luhn, redact

from shared.memory.models import Memory
from shared.processors import PostCall
from shared.providers.base import PostCallEvent


@pytest.mark.parametrize(
    ("said", "stored"),
    [
        ("My card is 4242 4242 4242 4242, expiry 12/29.", "My card is [card ending 4242], expiry 12/29."),
        ("it's 4111-1111-1111-1111", "it's [card ending 1111]"),
        ("Amex 378282246310005 please", "Amex [card ending 0005] please"),
        ("my account number is 12345678 thanks", "my account number is [account number redacted] thanks"),
        ("Account # 9876-5432-10", "Account # [account number redacted]"),
        ("IBAN: GB82 WEST 1234 5698 7654 32", "IBAN: [account number redacted]"),
        # however a transcript or an extraction model separates the groups
        ("4242.4242.4242.4242", "[card ending 4242]"),
        ("4242  4242  4242  4242", "[card ending 4242]"),
        ("4242 - 4242 - 4242 - 4242", "[card ending 4242]"),
        ("4242\u00a04242\u00a04242\u00a04242", "[card ending 4242]"),
        ("4242\t4242\t4242\t4242", "[card ending 4242]"),
        ("number 4242 4242 4242 4242-thanks", "number [card ending 4242]-thanks"),
        ("ref-4242424242424242", "ref-[card ending 4242]"),
        ("Friday at 3pm, card 5555 5555 5555 4444", "Friday at 3pm, card [card ending 4444]"),
    ],
)
def test_numbers_are_redacted(said: str, stored: str) -> None:
    assert redact(said) == stored


@pytest.mark.parametrize(
    "kept",
    [
        "not a card 1234 5678 9012 3456",  # fails the Luhn check
        "call me back on +1 555 555 0123",
        "order 12345 arrived on 2026-01-29",
        "Thursday the 29th at 2:30 PM",
    ],
)
def test_other_numbers_are_kept(kept: str) -> None:
    assert redact(kept) == kept


def test_luhn() -> None:
    assert luhn("4242424242424242") and not luhn("4242424242424241")


def memory(part: str, text: str, **metadata: str) -> Memory:
    when = datetime(2030, 1, 1, tzinfo=UTC)
    return Memory(part, "+15555550123", "t", "factual", text, when, None, "c1", {"source": "summary", **metadata})


def test_the_processor_redacts_text_and_metadata_and_drops_bare_numbers() -> None:
    call = PostCall(
        processor="redact_card_numbers",
        agent_type="t",
        user_id="+15555550123",
        event=PostCallEvent("k", "post_call_transcription", True),
        memories=[
            memory("a", "Paid with 4242 4242 4242 4242 today."),
            memory("b", "card number: 4242424242424242", field="card_number", value="4242424242424242"),
            memory("c", "4242 4242 4242 4242"),
        ],
        memory_types=("factual",),
        _build=lambda **_: pytest.fail("the redactor adds nothing"),
    )
    kept = CardNumberRedactor().post_call(call)
    assert [m.text for m in kept] == ["Paid with [card ending 4242] today.", "card number: [card ending 4242]"]
    assert kept[1].metadata["value"] == "[card ending 4242]"
    assert "4242424242424242" not in repr(kept)
