from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.errors import Unprocessable
from shared.identity import CallerIdentity, mask, normalize_caller
from shared.secrets import Secret


@pytest.mark.parametrize(
    "raw",
    [
        "+15555550123",
        "+1 (555) 555-0123",
        "+1-555-555-0123",
        "(555) 555-0123",
        "555.555.0123",
        "15555550123",
        "001 555 555 0123",
        " +1 555 555 0123 ",
        "tel:+15555550123",
        "sip:+15555550123@pbx.example.com",
    ],
)
def test_phone_formats_are_one_caller(raw: str) -> None:
    assert normalize_caller(raw) == "+15555550123"


def test_other_ids_are_kept() -> None:
    assert normalize_caller("user_123") == "user_123"
    assert normalize_caller("web-visitor:42") == "web-visitor:42"


@pytest.mark.parametrize("raw", ["", "   ", "*", "a b", "+1", "x" * 200, "../etc/passwd"])
def test_garbage_is_rejected(raw: str) -> None:
    with pytest.raises(Unprocessable):
        normalize_caller(raw)


def test_pseudonymized_ids_are_stable_keyed_and_never_the_number() -> None:
    a = CallerIdentity(pseudonym_key=Secret("key-a"))
    b = CallerIdentity(pseudonym_key=Secret("key-b"))
    assert a.user_id("+1 555 555 0123") == a.user_id("+15555550123")
    assert a.user_id("+15555550123") != b.user_id("+15555550123")
    assert "5555550123" not in a.user_id("+15555550123")


def test_mask_never_shows_the_whole_number() -> None:
    assert mask("+15555550123") == "+155***0123"
    assert "5555550" not in mask("+15555550123")


@given(st.text(max_size=60))
def test_normalize_never_crashes(raw: str) -> None:
    try:
        result = normalize_caller(raw)
    except Unprocessable:
        return
    assert result and " " not in result
