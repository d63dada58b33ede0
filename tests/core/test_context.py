"""The pre-call context: one current value per field, past values only with their dates, no line twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.config.loader import load_agent_type
from shared.context import caller_context, first_name
from shared.memory.auto_extract import extract
from shared.memory.models import Memory
from shared.memory.ranking import past_values
from shared.memory.subjects import given_name

CONFIG = load_agent_type("elevenlabs_customer_support")
NOW = datetime(2030, 3, 1, tzinfo=UTC)


def call(n: int, days_ago: int, summary: str, **fields: str) -> list[Memory]:
    when = NOW - timedelta(days=days_ago)

    def make(part: str, text: str, **meta: str) -> Memory:
        return Memory(f"c{n}-{part}", "u", "t", "factual", text, when, conversation_id=f"conv{n}", metadata=meta)

    memories = [make("s", summary, source="summary")]
    for name, value in sorted(fields.items()):
        memories.append(make(name, f"{name.replace('_', ' ')}: {value}", source="extraction", field=name, value=value))
    return memories


def context_for(memories: list[Memory]) -> tuple[str, str, str]:
    newest_first = sorted(memories, key=lambda m: m.created_at, reverse=True)
    fields = extract(CONFIG.memory.auto_extract, newest_first)
    answer = caller_context(CONFIG, caller_id="+15555550123", user_id="u", memories=newest_first, fields=fields)
    return answer.context, answer.first_message, answer.summary


def test_a_replaced_value_is_shown_only_as_past_with_its_date() -> None:
    memories = call(1, 30, "Booked for eight.", party_size="8") + call(2, 10, "Now two people.", party_size="2")
    context, _, summary = context_for(memories)
    lines = context.splitlines()
    assert "- party size: 2 (previously: 8 until 2030-02-19)" in lines
    assert "- party size: 8" not in lines
    assert summary == "Now two people."


def test_no_line_is_repeated() -> None:
    memories = call(1, 30, "Asked about parking.", city="Lyon") + call(2, 10, "Asked about parking.", city="Lyon")
    context, _, _ = context_for(memories)
    lines = context.splitlines()
    assert len(lines) == len(set(lines))
    assert lines.count("- city: Lyon") == 1


def test_the_greeting_uses_the_current_caller_name_first_name_whatever_the_field_order() -> None:
    memories = call(1, 5, "Booked a check-up for Elias.", patient_name="Elias Whitlock", caller_name="Nora Whitlock")
    context, greeting, _ = context_for(memories)
    assert greeting.startswith("Hello Nora,") and "Whitlock" not in greeting and "Elias" not in greeting
    assert "- caller name: Nora Whitlock" in context.splitlines()


def test_a_field_spelt_two_ways_is_one_line_and_the_caller_is_greeted_not_the_patient() -> None:
    memories = call(1, 30, "Booked Mateo.", **{"Caller Name": "Renata Kowalczyk", "patient_name": "Mateo Kowalczyk"})
    memories += call(2, 10, "Moved Mateo's visit.", caller_name="Renata Kowalczyk", patient_name="Mateo Kowalczyk")
    memories += call(3, 5, "Booked a check-up for her son.", patient_name="Omar Kowalczyk")
    context, greeting, _ = context_for(memories)
    lines = context.splitlines()
    assert greeting.startswith("Hello Renata,")
    assert sum("caller name" in line for line in lines) == 1
    assert "- caller name: Renata Kowalczyk" in lines


def test_a_field_collected_calls_ago_is_still_listed() -> None:
    """Eight newer fields do not push out a policy number given in the first call (context_fields, 12)."""
    newer = {f"detail_{n}": f"value {n}" for n in range(8)}
    memories = call(1, 60, "Opened a claim.", policy_number="PN-4471") + call(2, 5, "Added details.", **newer)
    context, _, _ = context_for(memories)
    assert "- policy number: PN-4471" in context.splitlines()
    assert all(f"- detail {n}: value {n}" in context.splitlines() for n in range(8))


def test_two_pets_each_keep_their_own_current_values() -> None:
    memories = call(1, 60, "Booked Pickles's vaccines.", pet_name="Pickles", species="cat", home_address="88 Birch")
    memories += call(2, 30, "Booked puppy shots for Waffles.", pet_name="Waffles", species="dog", home_address="4 Elm")
    context, _, _ = context_for(memories)
    lines = context.splitlines()
    assert "- species: dog (Waffles); cat (Pickles)" in lines  # neither is past: two pets
    assert "- pet name: Waffles; Pickles" in lines
    assert "- home address: 4 Elm (previously: 88 Birch until 2030-01-30)" in lines


def test_the_callers_name_is_listed_once_whatever_field_gave_it() -> None:
    memories = call(1, 5, "Booked a cleaning.", **{"full_name": "Renata Kowalczyk", "CALLER_NAME": "Renata Kowalczyk"})
    context, greeting, _ = context_for(memories)
    assert greeting.startswith("Hello Renata,")
    assert [line for line in context.splitlines() if "Renata" in line] == ["- caller name: Renata Kowalczyk"]


def test_first_name() -> None:
    assert first_name("Dana Whitfield") == "Dana"
    assert first_name("Dr. Amara Okafor") == "Dr. Okafor"
    assert first_name("") == ""


def test_first_name_of_a_name_written_surname_first_or_in_one_case() -> None:
    """Extraction models and CRMs write "GARCIA-LOPEZ, MARIA": the greeting said "Hello GARCIA-LOPEZ,"."""
    assert first_name("GARCIA-LOPEZ, MARIA") == "Maria"
    assert first_name("Whitfield, Dana") == "Dana"
    assert first_name("Dana Whitfield, Jr.") == "Dana"
    assert first_name("maría fernanda ruiz") == "María"
    assert first_name("DR. AMARA OKAFOR") == "Dr. Okafor"
    assert first_name("Mary-Kate O'Connor") == "Mary-Kate"


def test_a_title_is_greeted_with_the_surname_never_alone() -> None:
    """A church office, a law firm, a parish hall: "Rev. Thomas Hale" was greeted "Hello Rev.!", "Father Michael
    Doyle" "Hello Father!" (outside audit)."""
    assert first_name("Rev. Thomas Hale") == "Rev. Hale"
    assert first_name("Reverend Thomas Hale") == "Reverend Hale"
    assert first_name("Father Michael Doyle") == "Father Doyle"
    assert first_name("Pastor Grace Mbeki") == "Pastor Mbeki"
    assert first_name("Doctor Amara Okafor") == "Doctor Okafor"
    assert first_name("Judge Lena Marsh") == "Judge Marsh"
    _, greeting, _ = context_for(call(1, 5, "Booked the hall.", caller_name="Rev. Thomas Hale"))
    assert greeting.startswith("Hello Rev. Hale,")


def test_two_people_with_one_title_are_told_apart_by_their_given_names() -> None:
    assert given_name("Father Michael Doyle") == "michael"
    assert given_name("Pastor Grace Mbeki") == "grace"
    assert given_name("Rev. Thomas Hale") == "thomas"


def test_one_calls_fields_are_listed_the_same_whatever_order_the_store_returned_them() -> None:
    """Memories of one call share its time: SQLite broke the tie by insertion, DynamoDB and Firestore by memory id,
    so the context listed (and, past ``context_fields``, kept) other fields on each store."""
    fields = {f"field_{letter}": f"value {letter}" for letter in "abcdefghijklmno"}  # 15, over the 12 shown
    memories = call(1, 3, "Dana called.", **fields)
    one, _, _ = context_for(memories)
    other, _, _ = context_for(list(reversed(memories)))
    assert one == other
    listed = [line.split(":")[0] for line in one.splitlines() if line.startswith("- field")]
    assert listed == sorted(listed) and len(listed) == CONFIG.memory.context_fields


def test_the_greeting_uses_the_name_the_caller_asked_to_be_called() -> None:
    """ "Aleksandr Petrov, call me Sasha please": the next call said "Hello Aleksandr" (audit)."""
    memories = call(1, 20, "Card stolen.", caller_name="Aleksandr Petrov", preferred_name="Sasha")
    memories += call(2, 2, "Card arrived.", caller_name="Aleksandr Petrov")
    _, greeting, _ = context_for(memories)
    assert greeting.startswith("Hello Sasha,")
    _, greeting, _ = context_for(call(1, 5, "Bill question.", caller_name="Beatriz Oliveira", nickname="Not provided"))
    assert greeting.startswith("Hello Beatriz,")


def test_a_preferred_name_is_not_used_once_someone_else_called_from_the_number() -> None:
    memories = call(1, 20, "Card stolen.", caller_name="Aleksandr Petrov", preferred_name="Sasha")
    memories += call(2, 2, "His wife called.", caller_name="Irina Petrova")
    _, greeting, _ = context_for(memories)
    assert greeting.startswith("Hello Irina,")


def test_two_people_calling_from_one_number_keep_their_own_values() -> None:
    """A couple on one line: the husband's eye exam did not replace his wife's hearing test (audit)."""
    memories = call(1, 28, "Ingrid booked a hearing test.", caller_name="Ingrid Sorensen", reason="hearing test")
    memories += call(2, 4, "Lars booked an eye exam.", caller_name="Lars Sorensen", reason="eye exam")
    memories += call(3, 2, "Lars moved house.", caller_name="Lars Sorensen", address="9 Elm Road")
    memories += call(0, 40, "Ingrid gave her address.", caller_name="Ms. Ingrid Sorensen", address="4 Oak Lane")
    context, greeting, _ = context_for(memories)
    lines = context.splitlines()
    assert "- reason: eye exam (Lars); hearing test (Ingrid)" in lines
    assert "- address: 9 Elm Road (previously: 4 Oak Lane until 2030-02-27)" in lines  # the household's: replaced
    assert greeting.startswith("Hello Lars,")


def test_one_caller_written_two_ways_is_one_person() -> None:
    memories = call(1, 28, "Booked.", caller_name="Whitfield, Dana", reason="hearing test")
    memories += call(2, 4, "Moved it.", caller_name="Ms. Dana Whitfield", reason="eye exam")
    context, _, _ = context_for(memories)
    assert "- reason: eye exam (previously: hearing test until 2030-02-25)" in context.splitlines()


def test_search_reads_who_called_from_every_call_though_it_keeps_one_copy_of_a_repeated_name() -> None:
    """The same caller_name on every call is one text that search keeps once (the newest copy): the earlier calls
    must not then be read from their customer_name as another person's, which would leave the father's replaced
    furnace problem current in search while the pre-call context shows it as past."""
    from shared.memory.manager import MemoryManager
    from shared.memory.ranking import rank

    memories = call(
        0,
        60,
        "Furnace out at her father's.",
        caller_name="Mildred Osei",
        customer_name="Hezekiah Osei",
        problem="no heat",
    )
    memories += call(
        1,
        40,
        "Ignitor replaced.",
        caller_name="Mildred Osei",
        customer_name="Hezekiah Osei",
        problem="failed ignitor (replaced)",
    )
    memories += call(
        2, 5, "Her own AC now.", caller_name="Mildred Osei", customer_name="Mildred Osei", problem="heat pump quote"
    )
    context, _, _ = context_for(memories)
    assert any(line.startswith("- problem: heat pump quote (previously:") for line in context.splitlines())
    settings = MemoryManager(None, "t", CONFIG.memory).rank_settings()
    found = rank("ignitor", memories, now=NOW, settings=settings, limit=5)
    assert found  # the summary of the call
    current = [s.memory.text for s in found if s.until is None]
    assert "problem: failed ignitor (replaced)" not in current  # past, as in the pre-call context


def _said(n: int, days_ago: int, *turns: str, **fields: str) -> list[Memory]:
    """A call without a summary: the caller's turns and the collected fields."""
    when = NOW - timedelta(days=days_ago)
    memories = [
        Memory(
            f"c{n}-t{i}",
            "u",
            "t",
            "semantic",
            text,
            when,
            conversation_id=f"conv{n}",
            metadata={"source": "caller_turn"},
        )
        for i, text in enumerate(turns)
    ]
    for name, value in fields.items():
        meta = {"source": "extraction", "field": name, "value": value}
        memories.append(
            Memory(
                f"c{n}-{name}", "u", "t", "factual", f"{name}: {value}", when, conversation_id=f"conv{n}", metadata=meta
            )
        )
    return memories


def test_without_a_summary_the_summary_is_what_the_caller_said_whatever_order_the_store_gave() -> None:
    """A platform that sent no summary: ``memory_summary`` was the first memory the store listed of the newest call,
    which SQLite, DynamoDB and Firestore order by memory id: "caller_name: Hana Kobayashi" or "Okay. Thanks."
    (outside audit)."""
    memories = _said(1, 10, "My internet keeps dropping every evening.", "Okay, thanks, bye.")
    memories += _said(
        2, 3, "Okay. Thanks.", "Still dropping. The router lights blink orange.", caller_name="Hana Kobayashi"
    )
    for order in (memories, list(reversed(memories))):
        _, _, summary = context_for(order)
        said = '"Still dropping. The router lights blink orange."'
        assert summary == f"On {(NOW - timedelta(days=3)).date()} the caller said: {said}"


def test_a_hang_up_is_never_the_summary_and_a_call_with_only_fields_says_none_was_recorded() -> None:
    _, _, summary = context_for(_said(1, 2, "Hello?"))
    assert summary == "No summary of their previous calls was recorded."
    _, _, summary = context_for(_said(1, 2, plan="Unlimited 40"))
    assert summary == "No summary of their previous calls was recorded."
    memories = call(1, 9, "Hana asked why her bill doubled.") + _said(2, 1, "Hello? Hello?")
    _, _, summary = context_for(memories)
    assert summary == "Hana asked why her bill doubled."


def test_a_value_current_again_is_not_also_listed_as_past() -> None:
    """Side gate, then front porch, then side gate again read "side gate (previously: front porch until ...; side
    gate until ...)" (outside audit)."""
    memories = call(1, 30, "Side gate.", delivery_spot="side gate") + call(2, 20, "Porch.", delivery_spot="front porch")
    memories += call(3, 10, "Side gate again.", delivery_spot="side gate")
    context, _, _ = context_for(memories)
    assert "- delivery spot: side gate (previously: front porch until 2030-02-19)" in context.splitlines()


def test_a_field_changed_on_every_call_shows_its_newest_past_values_only() -> None:
    """A tutoring slot moved on each of 14 calls listed 13 dated past values in one line; after a year of calls the
    context grew by a date a call (outside audit)."""
    memories = [m for n in range(14) for m in call(n, 60 - 4 * n, f"Moved to slot {n}.", next_session=f"slot {n}")]
    context, _, _ = context_for(memories)
    line = next(line for line in context.splitlines() if line.startswith("- next session:"))
    assert line == (
        "- next session: slot 13 (previously: slot 12 until 2030-02-21; slot 11 until 2030-02-17; "
        "slot 10 until 2030-02-13; 10 earlier)"
    )


def test_a_later_call_that_caught_only_the_first_name_keeps_the_surname() -> None:
    """ "Magdalena Kowalczyk", then a call whose extraction caught only "Magdalena": the context said "caller name:
    Magdalena" and the tool "previously: caller name: Magdalena Kowalczyk", as if her name had changed (audit)."""
    memories = call(1, 20, "Asked about small claims.", caller_name="Magdalena Kowalczyk")
    memories += call(2, 5, "Asked for an update.", caller_name="Magdalena")
    context, greeting, _ = context_for(memories)
    lines = context.splitlines()
    assert "- caller name: Magdalena Kowalczyk" in lines
    assert not [line for line in lines if line.startswith("- caller name: Magdalena") and "Kowalczyk" not in line]
    assert "previously" not in context and greeting.startswith("Hello Magdalena,")
    assert past_values(memories) == {}
    # a new surname, or another person, still replaces it
    memories += call(3, 1, "Married.", caller_name="Magdalena Nowak")
    assert extract(CONFIG.memory.auto_extract, memories)["caller_name"] == "Magdalena Nowak"
