import pytest

from shared.memory.answer_kinds import ADDRESS, AGE, DATE, MONEY, SPAN, asked, stated


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("where does she live", {ADDRESS}),
        ("new home address", {ADDRESS}),
        ("how much does she owe altogether", {MONEY}),
        ("out-of-pocket cost per appointment", {MONEY}),
        ("when must everything be submitted", {DATE}),
        ("move-out date", {DATE}),
        ("how long is the agreement", {SPAN}),
        ("loan term", {SPAN}),
        ("how old is the kid", {AGE}),
        ("Pepper's age", {AGE}),
        ("where does he work", set()),  # an employer, not an address
        ("how does he pay", set()),  # a way of paying, not an amount
        ("spouse's name", set()),
    ],
)
def test_what_kind_of_value_a_question_asks_for(question: str, kinds: set[str]) -> None:
    assert asked(question) == kinds


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("Gareth reported a leaking water heater at 9 Holloway Road.", {ADDRESS}),
        ("We're going to eleven eighty Sycamore Ridge, unit four.", {ADDRESS}),
        ("The shop quoted $480 for pads and rotors.", {MONEY}),
        ("total price: 96", {MONEY}),
        ("Forty dollars, that's the copay.", {MONEY}),
        ("He signed a 12-month lease renewal.", {SPAN}),
        ("The old tank's been in there twelve years.", {SPAN}),
        ("Pepper is six years old.", {AGE, SPAN}),
        ("The deadline is January 15.", {DATE}),
        ("Can we do Thursday at 2 pm?", {DATE}),
        ("Drafted on the 15th of each month.", {DATE}),
        ("A party for 8 people, two of them vegetarian.", set()),  # a count, not money
        ("My dog Biscuit has surgery soon.", set()),
    ],
)
def test_what_kinds_of_value_a_memory_states(text: str, kinds: set[str]) -> None:
    assert stated(text) == kinds
