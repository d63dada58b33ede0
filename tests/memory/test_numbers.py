"""Spoken numbers as digits (shared/memory/numbers.py): what callers say against what fields hold."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.memory.numbers import as_digits, digit_words, spelt_numbers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("size forty-four, European size", ["size", "44", "european", "size"]),
        ("The thousand dollar deductible", ["the", "1000", "dollar", "deductible"]),
        ("a thousand", ["1000"]),
        ("twenty-five dollars", ["25", "dollars"]),
        ("Two lines", ["2", "lines"]),
        ("twelve hundred", ["1200"]),
        ("one hundred and five", ["105"]),
        ("eighteen thousand five hundred", ["18500"]),
        ("nine zero five two", ["9", "0", "5", "2"]),
        ("twenty twenty-one", ["2021"]),  # a year
        ("a twenty seventeen Honda", ["a", "2017", "honda"]),
        ("nineteen eighty-four", ["1984"]),
        ("since twenty oh nine", ["since", "2009"]),
        ("twenty one", ["21"]),
        ("twenty, thirty minutes", ["20", "30", "minutes"]),  # a range, not the year 2030
        ("112,000 miles", ["112000", "miles"]),
        ("1,250,000 dollars", ["1250000", "dollars"]),
        ("3,5 and 1,2345", ["3", "5", "and", "1", "2345"]),
        ("cats and dogs", ["cats", "and", "dogs"]),
        ("a gift of $25 to the food bank", ["a", "gift", "of", "25", "dollars", "to", "the", "food", "bank"]),
        ("£1,200 or €40.50", ["1200", "pounds", "or", "40", "50", "euros"]),
        ("Tuesday 3:00 PM", ["tuesday", "3", "pm"]),  # a whole hour as said: "three", "3 pm"
        ("at 10:30 or 12:00", ["at", "10", "30", "or", "12"]),
        ("", []),
    ],
)
def test_spoken_numbers_become_digits(text: str, expected: list[str]) -> None:
    assert list(digit_words(text)) == expected


@given(st.lists(st.sampled_from(["one", "twenty", "hundred", "thousand", "and", "a", "cat", "5", "zero"]), max_size=12))
def test_every_other_word_stays_and_numbers_become_digits(tokens: list[str]) -> None:
    out = as_digits(tokens)
    assert all(t.isdigit() or t in ("cat", "and", "a") for t in out)
    assert [t for t in tokens if t == "cat"] == [t for t in out if t == "cat"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The PO is V R dash two two nine one.", {"2291"}),
        ("gate code, four one nine seven", {"4197"}),
        ("it's oh one two nine", {"0129"}),  # "oh" is a zero inside a run
        ("two or three", set()),
        ("nine one", set()),  # two digits: too short to be a code
        ("oh and one more", set()),
        ("room 4 then 5", set()),  # digits apart
    ],
)
def test_numbers_said_digit_by_digit_are_joined(text: str, expected: set[str]) -> None:
    assert spelt_numbers(digit_words(text)) == expected
