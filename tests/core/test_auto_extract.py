"""The regex fallback must never produce a wrong name ("Hello Is!"); platform extraction is preferred."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.config.loader import load_agent_type
from shared.memory.auto_extract import extract, plausible_name
from shared.memory.models import Memory

RULES = load_agent_type("elevenlabs_customer_support").memory.auto_extract
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def said(*texts: str, **fields: str) -> list[Memory]:
    memories = [
        Memory(
            id=f"f{i}",
            user_id="u",
            agent_type="t",
            type="factual",
            text=f"{k}: {v}",
            created_at=NOW,
            metadata={"source": "extraction", "field": k, "value": v},
        )
        for i, (k, v) in enumerate(fields.items())
    ]
    memories += [
        Memory(id=f"t{i}", user_id="u", agent_type="t", type="semantic", text=t, created_at=NOW)
        for i, t in enumerate(texts)
    ]
    return memories


@pytest.mark.parametrize(
    "sentence",
    [
        "User is interested in a premium plan",
        "User has two daughters",
        "I am going to travel to Peru",
        "User Emily called about billing issue",
        "I'm Going To call back later",
        "This is About Billing",
        "it's fine",
    ],
)
def test_original_defect_sentences_give_no_wrong_name(sentence: str) -> None:
    name = extract(RULES, said(sentence))["caller_name"]
    assert name in ("", "Emily")
    assert name not in ("Is", "Has", "Going To", "About Billing", "Going", "About")


@pytest.mark.parametrize(
    ("sentence", "name"),
    [
        ("Hi, my name is Dana Whitfield.", "Dana Whitfield"),
        ("This is Marcus, calling back.", "Marcus"),
        ("yes I'm Priya", "Priya"),
    ],
)
def test_clear_introductions_are_found(sentence: str, name: str) -> None:
    assert extract(RULES, said(sentence))["caller_name"] == name


@pytest.mark.parametrize(
    "sentence",
    [
        "Hi, this is Biscuit's mom, he has surgery Monday.",
        "I'm Nora\u2019s father, calling about her appointment.",
        "This is Dana Whitfield's assistant.",
    ],
)
def test_a_possessive_is_not_the_callers_name(sentence: str) -> None:
    """ "this is Biscuit's mom" names the dog, not the caller: the greeting must not say "Hello Biscuit"."""
    assert extract(RULES, said(sentence))["caller_name"] == ""


def test_a_possessive_does_not_hide_a_later_introduction() -> None:
    assert extract(RULES, said("This is Biscuit's mom. My name is Dana."))["caller_name"] == "Dana"


def test_structured_field_wins_over_the_transcript() -> None:
    found = extract(RULES, said("my name is Bob", caller_name="Dana Whitfield"))
    assert found["caller_name"] == "Dana Whitfield"


def test_every_rule_is_present_even_when_unknown() -> None:
    assert extract(RULES, []) == {name: "" for name in RULES}


def test_keyword_rule() -> None:
    assert extract(RULES, said("I'm on the premium tier"))["account_status"] == "premium"


def test_plausible_name() -> None:
    assert plausible_name("Dana")
    assert plausible_name("Mary-Jane O'Neil") is False or plausible_name("Mary-Jane")
    assert not plausible_name("dana")
    assert not plausible_name("About Billing")
    assert not plausible_name("One Two Three Four")


def test_keyword_rule_ignores_the_word_said_about_something_else() -> None:
    assert extract(RULES, said("My car insurance premium went up again"))["account_status"] == ""
    assert extract(RULES, said("The basic problem is the router"))["account_status"] == ""
    assert extract(RULES, said("Thanks. My account status is gold, right?"))["account_status"] == "gold"


def test_within_one_call_the_configured_alias_order_wins_not_the_alphabet() -> None:
    memories = said(patient_name="Elias Whitlock", caller_name="Nora Whitlock")
    assert extract(RULES, memories)["caller_name"] == "Nora Whitlock"
    assert extract(RULES, list(reversed(memories)))["caller_name"] == "Nora Whitlock"


def later_call(field: str, value: str) -> list[Memory]:
    return [
        Memory(
            id="n1",
            user_id="u",
            agent_type="t",
            type="factual",
            text=f"{field}: {value}",
            created_at=NOW.replace(year=2031),
            metadata={"source": "extraction", "field": field, "value": value},
        )
    ]


def test_a_later_call_with_a_new_surname_beats_the_alias_order() -> None:
    older = said(caller_name="Nora Whitlock")
    assert extract(RULES, later_call("patient_name", "Nora Blake") + older)["caller_name"] == "Nora Blake"


def test_a_later_call_about_someone_else_keeps_the_callers_own_name() -> None:
    """A mother who gave her name once, then called for her son: she is still greeted, not him."""
    older = said(caller_name="Nadia Haddad")
    assert extract(RULES, later_call("patient_name", "Omar Haddad") + older)["caller_name"] == "Nadia Haddad"
    assert extract(RULES, later_call("caller_name", "Nadia Osei") + older)["caller_name"] == "Nadia Osei"
    assert extract(RULES, said(patient_name="Omar Haddad"))["caller_name"] == "Omar Haddad"  # no better field


@pytest.mark.parametrize("field", ["Caller Name", "CallerName", "caller-name", "callerName", "CALLER_NAME"])
def test_a_name_field_is_found_however_the_schema_spells_it(field: str) -> None:
    memories = said(patient_name="Mateo Kowalczyk", **{field: "Renata Kowalczyk"})
    assert extract(RULES, memories)["caller_name"] == "Renata Kowalczyk"


@pytest.mark.parametrize(
    "sentence",
    [
        "I'm Jewish, so no pork please.",
        "Hi, this is Bank of America calling about your card.",
        "I'm Okay, thanks.",
        "I'm Deaf, please speak clearly.",
        "It's Christmas next week.",
        "I'm Sorry, I missed your call.",
        "I'm Canadian.",
        "This is Netflix.",
    ],
)
def test_a_state_a_people_or_a_company_after_im_is_not_a_name(sentence: str) -> None:
    assert extract(RULES, said(sentence))["caller_name"] == ""


@pytest.mark.parametrize(
    "value",
    ["None", "none", "The caller did not provide a name", "Unknown caller", "Caller", "Customer", "Spam Likely",
     "Unknown Name", "N/A", "Not provided", "<img src=x onerror=alert(1)>", "{{caller_name}}", "dana@example.com",
     "Dana_Whitfield"],
)  # fmt: skip
def test_a_placeholder_in_the_name_field_is_no_name_and_never_replaces_a_real_one(value: str) -> None:
    assert extract(RULES, said(caller_name=value))["caller_name"] == ""
    older = said(caller_name="Priya Raman")
    assert extract(RULES, later_call("caller_name", value) + older)["caller_name"] == "Priya Raman"


def test_real_names_in_the_name_field_stay_whatever_their_case_or_accents() -> None:
    for name in ("José Álvarez", "dana whitfield", "Zoë", "Will Smith", "Mary-Kate O'Neil"):
        assert extract(RULES, said(caller_name=name))["caller_name"] == name


@pytest.mark.parametrize(
    ("sentence", "status"),
    [
        ("My sister is on the gold tier with you lot, is that any better?", ""),
        ("My account status is basic, but my husband's account is premium, can I get what he has?", "basic"),
        ("There's a premium text message charge on my bill, what tier of service do I even have?", ""),
        ("She is currently on the silver tier.", "silver"),
    ],
)
def test_keyword_rule_takes_the_keyword_said_of_the_callers_own_status(sentence: str, status: str) -> None:
    """account_status comes from the keyword next to its name in a clause about the caller: never from a
    relative's tier, nor from another keyword elsewhere in the sentence (audit: "gold" from the caller's sister)."""
    assert extract(RULES, said(sentence))["account_status"] == status


@pytest.mark.parametrize(
    ("turns", "name"),
    [
        (("This is Catherine... no wait, it's Katrin, with a K. Katrin Albers.",), "Katrin"),
        (("Hi, my name is Jon Pereira.", "Sorry, I misspoke, it's John, with an H."), "John"),
        (("Sorry, I misspoke, it's John, with an H.", "Hi, my name is Jon Pereira."), "John"),
        (("My name is Dana Whitfield, it's Whitfield with two Fs... no, one F.",), "Dana Whitfield"),
        (("Sorry, this is Dana Whitfield calling back.",), "Dana Whitfield"),
    ],
)
def test_a_name_the_caller_put_right_in_the_call_is_the_one_kept(turns: tuple[str, ...], name: str) -> None:
    """Without platform extraction, "This is Catherine... no wait, it's Katrin" greeted "Hello Catherine!", and a
    correction in a later turn lost or won by the store's order of the call's turns (outside audit)."""
    assert extract(RULES, said(*turns))["caller_name"] == name
