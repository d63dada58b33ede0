"""The one ranking (shared/memory/ranking.py): pure functions over one caller's memories, no model involved."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from shared.memory.models import Memory
from shared.memory.ranking import (
    RankSettings,
    WordSimilarities,
    _newest_first_in_ties,
    another_kind,
    collecting_calls,
    lexical,
    past_values,
    rank,
    restating_values,
    stating_values,
    word_meaning,
)
from shared.memory.terms import query_terms, related, small_talk, stem, terms, words
from shared.memory.vectors import _by_distance, cosine, generation, normalise, pack, unpack

NOW = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
WORDS_ONLY = RankSettings(semantic=False, lexical_weight=1.0, semantic_weight=0.0, min_score=0.05)


def memory(mid: str, text: str, *, days_ago: float = 1, vector: list[float] | None = None, **meta: str) -> Memory:
    created = NOW - timedelta(days=days_ago)
    return Memory(
        id=mid,
        user_id="+15555550123",
        agent_type="support",
        type="factual",
        text=text,
        created_at=created,
        expires_at=NOW + timedelta(days=30),
        metadata=dict(meta),
        vector=None if vector is None else pack(vector),
    )


def field(mid: str, name: str, value: str, *, days_ago: float, vector: list[float] | None = None) -> Memory:
    return memory(mid, f"{name.replace('_', ' ')}: {value}", days_ago=days_ago, vector=vector, field=name, value=value)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("allergic", "allergies"),
        ("deliver", "delivery"),
        ("pregnant", "pregnancy"),
        ("complaint", "complained"),
        ("moving", "moved"),
        ("address", "addresses"),
        ("stored", "storage"),
        ("covered", "coverage"),
        ("mile", "mileage"),
        ("finance", "financing"),
        ("balance", "balanced"),
        ("absence", "absent"),
        ("teeth", "tooth"),
        ("wives", "wife"),
        ("dosage", "dose"),
        ("dosage", "dosing"),
    ],
)
def test_word_forms_meet(a: str, b: str) -> None:
    assert related(stem(a), stem(b))


@pytest.mark.parametrize(
    ("a", "b"),
    [("deliver", "dog"), ("pet", "petrol"), ("card", "cardiology"), ("mess", "message"), ("mass", "massage")],
)
def test_unrelated_words_stay_apart(a: str, b: str) -> None:
    assert not related(stem(a), stem(b))


def test_pronouns_and_agent_filler_are_stop_words() -> None:
    assert terms("What did she tell the customer about her allergies?") == (stem("allergies"),)
    assert terms("how much is she borrowing, how many guests") == (stem("borrowing"), stem("guests"))
    assert query_terms("she her") == ["she", "her"]  # a query of stop words alone still searches for something


def test_words_are_kept_per_text_but_each_caller_gets_its_own_list() -> None:
    first = words("Irina's Café, 2 p.m.")
    assert first == ["irina", "s", "cafe", "2", "p", "m"]
    first.append("changed")  # a caller may change what it got: the kept words stay as they were
    assert words("Irina's Café, 2 p.m.") == ["irina", "s", "cafe", "2", "p", "m"]


def test_lexical_prefers_the_memory_that_has_the_rare_word() -> None:
    scores = lexical("peanut allergy", ["allergic to peanuts", "likes peanut butter cookies", "called about a bill"])
    assert scores[0] > scores[1] > scores[2] == 0.0
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_vectors_round_trip_as_unit_float16_behind_their_generation() -> None:
    blob = pack([3.0, 4.0], generation=2)
    assert len(blob) == 5 and generation(blob) == 2
    assert unpack(blob) == pytest.approx((0.6, 0.8), abs=1e-3)
    legacy = blob[1:]  # stored before the generation byte existed: even length, the first model's
    assert generation(legacy) == 1 and unpack(legacy) == unpack(blob)
    with pytest.raises(ValueError):
        pack([1.0], generation=0)
    assert cosine(unpack(blob), (0.6, 0.8)) == pytest.approx(1.0, abs=1e-3)
    assert cosine((1.0, 0.0), (1.0, 0.0, 0.0)) == 0.0  # another model's vector counts as unrelated


COMPONENT = st.floats(-1, 1, allow_subnormal=False)


@given(st.lists(st.tuples(COMPONENT, COMPONENT), min_size=1, max_size=256))
def test_the_dot_product_of_unit_vectors_by_distance_is_the_sum_of_products(pairs: list[tuple[float, float]]) -> None:
    assume(all(math.hypot(*side) > 1e-150 for side in zip(*pairs, strict=True)))  # a model's vector is never ~0
    a, b = normalise([x for x, _ in pairs]), normalise([y for _, y in pairs])
    exact = sum(x * y for x, y in zip(a, b, strict=True))
    assert _by_distance(a, b) == pytest.approx(exact, abs=1e-9)
    assert cosine(a, b) == pytest.approx(exact, abs=1e-9)  # math.sumprod where the runtime has it
    stored = unpack(pack(a))  # float16: unit to within rounding
    assert _by_distance(stored, b) == pytest.approx(sum(x * y for x, y in zip(stored, b, strict=True)), abs=2e-3)


def test_meaning_finds_a_paraphrase_that_shares_no_word() -> None:
    memories = [
        memory("wife", "My wife Irina handles the bills", vector=[1.0, 0.1, 0.0]),
        memory("dog", "The dog Biscuit barks at couriers", vector=[0.0, 1.0, 0.1]),
    ]
    found = rank("spouse", memories, now=NOW, query_vector=[0.95, 0.0, 0.1])
    assert [s.memory.id for s in found] == ["wife"]
    assert rank("spouse", memories, now=NOW, settings=RankSettings(semantic=False), query_vector=[0.95, 0, 0.1]) == []


def test_word_meaning_finds_one_telling_word_among_many() -> None:
    similar = {("spouse", "wife"): 0.8}

    def similarity(a: str, b: str) -> float:
        return 1.0 if a == b else similar.get((a, b), 0.1)

    texts = ["My wife Maribel doesn't eat meat, she's vegetarian, so if the chef can do something", "Table for two"]
    scores = word_meaning("caller's spouse", texts, pairwise(similarity), floor=0.5)
    assert scores[0] == pytest.approx((0.8 - 0.5) / 0.5) and scores[1] == 0.0  # "caller" is agent filler
    assert word_meaning("spouse", texts, None, floor=0.5) == [0.0, 0.0]


def test_word_meaning_compares_at_most_sixteen_words_of_a_long_question() -> None:
    seen: set[str] = set()

    def similarity(a: str, b: str) -> float:
        seen.add(a)
        return 0.0

    question = " ".join(f"word{chr(97 + n // 26)}{chr(97 + n % 26)}" for n in range(200))
    word_meaning(question, ["one memory", "another memory"], pairwise(similarity), floor=0.5)
    assert len(seen) == 16


def test_word_meaning_compares_only_the_memories_words_and_meaning_rank_highest() -> None:
    compared: set[str] = set()

    def similarity(a: str, b: str) -> float:
        compared.add(b)
        return 0.0

    # 16 memories that share the question's word, then 30 that share nothing: only the first 16 are read word by word
    memories = [memory(f"a{n}", f"parking permit zone{chr(97 + n)}") for n in range(16)]
    memories += [memory(f"b{n}", f"unrelated remark{chr(97 + n // 26)}{chr(97 + n % 26)}") for n in range(30)]
    rank(
        "parking", memories, now=NOW, settings=RankSettings(), query_vector=None, word_similarities=pairwise(similarity)
    )
    assert any(word.startswith("zone") for word in compared)
    assert not any(word.startswith("remark") for word in compared)


def test_word_meaning_counts_in_the_score_only_with_semantic_search_on() -> None:
    memories = [memory("wife", "My wife Maribel is vegetarian"), memory("table", "Table for two on Saturday")]

    def similarity(a: str, b: str) -> float:
        return 0.9 if {a, b} == {"spouse", "wife"} else 0.0

    words_and_meaning = RankSettings(lexical_weight=0.5, semantic_weight=0.0, word_weight=0.5, min_score=0.1)
    found = rank("spouse", memories, now=NOW, settings=words_and_meaning, word_similarities=pairwise(similarity))
    assert [s.memory.id for s in found] == ["wife"]
    off = RankSettings(semantic=False, word_weight=0.5, min_score=0.1)
    assert rank("spouse", memories, now=NOW, settings=off, word_similarities=pairwise(similarity)) == []


def pairwise(similarity: Callable[[str, str], float]) -> WordSimilarities:
    """The ranking's word similarities from a function of two words."""
    return lambda word, others: {other: similarity(word, other) for other in others}


def _unlike(a: str, b: str) -> float:
    """Word similarity where only a word and itself, and "cellphone"/"mobile", are alike."""
    return 1.0 if a == b else 0.7 if {a, b} == {"cellphone", "mobile"} else 0.2


unlike = pairwise(_unlike)


def test_a_memory_naming_another_kind_of_the_thing_asked_is_not_an_answer() -> None:
    texts = ["product: term life insurance", "Zara asked about life insurance; she has two children."]
    assert another_kind("pet insurance", texts, unlike, 0.4) == [True, True]
    memories = [memory("p", texts[0]), memory("s", texts[1]), memory("o", "Zara lives in Lyon")]
    settings = RankSettings(semantic_weight=0.0, word_weight=0.5, min_score=0.05)
    assert rank("pet insurance", memories, now=NOW, settings=settings, word_similarities=unlike) == []
    off = replace(settings, contrast_similarity=0.0)
    found = rank("pet insurance", memories, now=NOW, settings=off, word_similarities=unlike)
    assert {s.memory.id for s in found} == {"p", "s"}
    assert [s.memory.id for s in rank("life insurance", memories, now=NOW, settings=settings)] == ["p", "s"]


@pytest.mark.parametrize(
    ("query", "text", "others"),
    [
        ("cellphone plan", "mobile plan: unlimited", []),  # another word for the same kind
        ("insurance", "product: term life insurance", []),  # one word asks for any kind
        ("pet insurance", "product: pet insurance", []),  # the same kind
        ("pet insurance", "product: term life insurance", ["Our pet Rex is a beagle"]),  # "pet" was said
        ("security package", "package: premium", []),  # the word after the noun is its value, not its kind
        ("insurance for the dog", "Rex has life insurance", []),  # no word right before the noun in the question
        ("plus plan", "The Plus plan covers Canada", []),  # the question's own word is there
        ("next appointment", "cleaning appointment: Friday", []),  # "next" picks one, it names no kind
        ("new address", "delivery address: 14 Birchwood Lane", []),
        ("home address", "Her new address is 14 Birchwood Lane", []),
        ("attendance days", "schedule: five days a week", []),  # a number counts days, it names no kind
        ("hotel nights", "She booked three nights in Kyoto", []),
        ("liquid spill damage", "Bridget spilled coffee on her laptop", []),  # a verb: the word before is no kind
        ("billing program enrollment", "Mateo enrolled in budget billing", []),
        ("nervousness around dryers", "He gets really nervous with the loud dryers", []),  # a preposition, no kind
        ("noise behind the bedroom", "There's a noise in the back bedroom wall", []),
        ("when is he getting fitted", "Lens fitting: Tuesday", ["He wants contacts"]),  # a verb's helper, no kind
    ],
)
def test_another_kind_leaves_real_answers_alone(query: str, text: str, others: list[str]) -> None:
    assert another_kind(query, [text, *others], unlike, 0.4)[0] is False


def test_another_kind_needs_word_meaning_and_can_be_turned_off() -> None:
    texts = ["product: term life insurance"]
    assert another_kind("pet insurance", texts, None, 0.4) == [False]
    assert another_kind("pet insurance", texts, unlike, 0.0) == [False]
    assert another_kind("pet insurance", texts, unlike, 0.15) == [False]  # "pet" and "life" 0.2 alike: same kind


def test_the_bundled_model_tells_another_kind_from_another_word() -> None:
    from shared.memory.embedding import word_similarities

    below = RankSettings().contrast_similarity
    assert another_kind("speeding ticket", ["issue: parking ticket dispute"], word_similarities, below) == [True]
    assert another_kind("cellphone plan", ["mobile plan: unlimited"], word_similarities, below) == [False]


def test_a_replaced_field_value_ranks_below_the_current_one_and_is_marked_past() -> None:
    memories = [
        field("old", "credit_limit", "5000 dollars credit limit raised request credit limit", days_ago=60),
        field("new", "credit_limit", "8000", days_ago=2),
        memory("turn", "Can you raise my credit limit?", days_ago=60),
    ]
    found = rank("credit limit", memories, now=NOW, settings=WORDS_ONLY)
    ids = [s.memory.id for s in found]
    assert ids.index("new") < ids.index("old")
    old = next(s for s in found if s.memory.id == "old")
    assert old.until == NOW - timedelta(days=2)
    assert old.text.startswith("previously: credit limit: 5000") and old.text.endswith(f"until {old.until.date()}")
    assert next(s for s in found if s.memory.id == "new").until is None


def test_past_values_ignore_a_repeated_value() -> None:
    memories = [
        field("a", "party_size", "2", days_ago=30),
        field("b", "party_size", "2", days_ago=20),
        field("c", "party_size", "8", days_ago=10),
        field("d", "city", "Lyon", days_ago=30),
    ]
    assert past_values(memories) == {"a": NOW - timedelta(days=10), "b": NOW - timedelta(days=10)}


def test_a_value_replaces_one_of_the_same_field_however_the_schema_spells_it() -> None:
    memories = [
        field("old", "creditLimit", "5000", days_ago=60),
        field("new", "Credit Limit", "8000", days_ago=2),
        field("other", "credit_card", "Visa", days_ago=60),
    ]
    assert past_values(memories) == {"old": NOW - timedelta(days=2)}


def test_a_call_about_another_pet_replaces_nothing_of_the_first_but_the_household_is_one() -> None:
    def said(mid: str, name: str, value: str, call: str, days_ago: float) -> Memory:
        return replace(field(mid, name, value, days_ago=days_ago), conversation_id=call)

    memories = [
        said("pickles", "pet_name", "Pickles", "c1", 60),
        said("cat", "species", "cat", "c1", 60),
        said("old_home", "home_address", "88 Birchwood Court", "c1", 60),
        said("waffles", "pet_name", "Waffles", "c2", 30),
        said("dog", "species", "dog", "c2", 30),
        said("new_home", "home_address", "412 Larkspur Lane", "c2", 30),
        said("first_cut", "service", "teddy bear cut", "c1", 60),
        said("new_cut", "service", "puppy cut", "c3", 9),  # a call naming no pet: about the one the value was
    ]
    assert past_values(memories) == {
        "old_home": NOW - timedelta(days=30),  # the household's, whoever the call was about
        "first_cut": NOW - timedelta(days=9),
    }


def test_a_summary_stating_a_replaced_value_ranks_below_the_current_value() -> None:
    memories = [
        memory("summary", "Lab results showed an A1C of 8.2 and the doctor raised her metformin.", days_ago=40),
        field("old", "a1c", "8.2", days_ago=40),
        field("new", "a1c", "7.1", days_ago=5),
        memory("both", "Her A1C went from 8.2 down to 7.1.", days_ago=5),
    ]
    found = rank("latest A1C result", memories, now=NOW, settings=WORDS_ONLY)
    order = [s.memory.id for s in found]
    assert order.index("new") < order.index("summary")
    assert stating_values(memories, past_values(memories)) == ({"summary": ["a1c"]}, {"both": ["a1c"]})


def test_a_replaced_whole_hour_said_in_words_is_marked_past() -> None:
    """``Tuesday 3:00 PM`` is said "Tuesday at three" and "Tuesday at 3 pm": no one says its ":00". Unmarked, the old
    time came first as current once the appointment moved (from an outside pre-call audit)."""
    first, second = "c1", "c2"
    memories = [
        replace(memory("said", "The consultation, Tuesday at three works.", days_ago=20), conversation_id=first),
        replace(memory("summary", "Booked a consultation for Tuesday at 3 pm.", days_ago=20), conversation_id=first),
        replace(field("old", "appointment_time", "Tuesday 3:00 PM", days_ago=20), conversation_id=first),
        replace(field("new", "appointment_time", "Thursday 10:00 AM", days_ago=3), conversation_id=second),
    ]
    found = {s.memory.id: s for s in rank("when is the consultation", memories, now=NOW, settings=WORDS_ONLY)}
    assert found["said"].until == found["summary"].until == NOW - timedelta(days=3)
    assert past_values([memories[2], replace(field("again", "appointment_time", "Tuesday 3 pm", days_ago=3))]) == {}


def test_a_memory_stating_only_a_replaced_value_is_marked_past_whatever_the_question() -> None:
    memories = [
        memory("turn", "Hello, I would like to give every month, twenty-five dollars.", days_ago=60),
        field("old", "donation_amount", "25", days_ago=60),
        field("new", "donation_amount", "40", days_ago=9),
        memory("raise", "I want to give a little more, forty now instead.", days_ago=9),
    ]
    found = {s.memory.id: s for s in rank("how much does she give each month", memories, now=NOW, settings=WORDS_ONLY)}
    assert found["turn"].until == NOW - timedelta(days=9)  # the question never names the field
    assert (
        found["turn"].text
        == "previously: Hello, I would like to give every month, twenty-five dollars, until "
        + str((NOW - timedelta(days=9)).date())
        + " (changed since: donation amount)"
    )  # what replaced the value it states
    assert found["raise"].until is None


@pytest.mark.parametrize(
    ("old", "new", "said", "past"),
    [
        ("weekly, Tuesdays", "every other Friday", "He signed up for weekly mowing on Tuesdays at 55 a cut.", True),
        ("Sunday 11:00 am", "Sunday 11:30 am", "She booked Sunday brunch at 11:00 am for four.", True),
        ("mice in garage", "ants in kitchen", "We've got mice, in the garage, they chewed a bag.", False),  # an event
    ],
)
def test_a_schedule_or_time_stated_with_other_words_among_its_own_is_stated(
    old: str, new: str, said: str, past: bool
) -> None:
    memories = [
        memory("said", said, days_ago=60),
        field("old", "schedule", old, days_ago=60),
        field("new", "schedule", new, days_ago=9),
    ]
    stating_past, _ = stating_values(memories, past_values(memories))
    assert ("said" in stating_past) is past


def test_in_the_call_that_collected_a_value_saying_its_number_states_it() -> None:
    def said(mid: str, text: str, call: str, days_ago: float) -> Memory:
        return replace(memory(mid, text, days_ago=days_ago), conversation_id=call)

    memories = [
        replace(field("old", "dosage", "500 mg twice daily", days_ago=60), conversation_id="c1"),
        said("turn", "I need my metformin refilled, the, um, the five hundred.", "c1", 60),
        said("other", "Is the five hundred one the generic?", "c0", 70),
        replace(field("new", "dosage", "1000 mg twice daily", days_ago=9), conversation_id="c2"),
        said("raise", "She takes a thousand now, morning and night.", "c2", 9),
    ]
    past, current = stating_values(memories, past_values(memories))
    assert past == {"turn": ["dosage"]}  # "other" says the number in another call, where it may mean anything
    assert current == {"raise": ["dosage"]}


def test_a_value_collected_again_in_later_calls_still_speaks_for_the_first_calls_words() -> None:
    """Three calls collect "27 mg every morning"; one search keeps the newest copy only, and the first call's
    "the twenty-seven" must still read as that value once 36 mg replaces it."""

    def in_call(m: Memory, call: str) -> Memory:
        return replace(m, conversation_id=call)

    memories = [
        in_call(field("d1", "dosage", "27 mg every morning", days_ago=40), "c1"),
        in_call(memory("turn", "Hey, Anika's new dose should be in, the twenty-seven.", days_ago=40), "c1"),
        in_call(field("d2", "dosage", "27 mg every morning", days_ago=30), "c2"),
        in_call(field("d3", "dosage", "27 mg every morning", days_ago=20), "c3"),
        in_call(field("d4", "dosage", "36 mg every morning", days_ago=10), "c4"),
    ]
    found = {s.memory.id: s for s in rank("new dose twenty-seven", memories, now=NOW, settings=WORDS_ONLY, limit=5)}
    assert found["turn"].until is not None  # marked past, though the copy of c1's field was left out as a duplicate
    kept = [m for m in memories if m.id != "d1" and m.id != "d2"]  # what the search ranks after deduplication
    assert stating_values(kept, past_values(kept))[0] == {}  # without the calls of the copies: not seen
    assert stating_values(kept, past_values(kept), collecting_calls(memories))[0] == {"turn": ["dosage"]}


@pytest.mark.parametrize("old", ["PO VR-2291", "net-30 invoices, PO VR-2291"])  # a code says it beside a "30"
def test_in_the_call_that_collected_a_code_saying_it_digit_by_digit_states_it(old: str) -> None:
    def said(mid: str, text: str, call: str) -> Memory:
        return replace(memory(mid, text, days_ago=60), conversation_id=call)

    memories = [
        replace(field("old", "billing", old, days_ago=60), conversation_id="c1"),
        said("turn", "The PO is V R dash two two nine one.", "c1"),
        said("phone", "It's five five five, oh one four eight.", "c1"),
        said("few", "Two or three more boxes, nine one maybe.", "c1"),
        replace(field("new", "billing", "PO VR-2417", days_ago=9), conversation_id="c2"),
    ]
    past, _ = stating_values(memories, past_values(memories))
    assert past == {"turn": ["billing"]}  # a run of two digits is no code, nor is another number


@pytest.mark.parametrize(
    ("name", "old", "new", "said"),
    [
        ("dog_name", "Mango", "Pistache", "Santiago booked a full groom for Mango, his goldendoodle."),
        ("caller_name", "Mei-Lin Zhou", "Mei-Lin Zhou Barrett", "Mei-Lin Zhou needs to renew her passport by June."),
    ],
)
def test_a_summary_saying_a_replaced_name_is_about_someone_not_past(name: str, old: str, new: str, said: str) -> None:
    memories = [
        memory("said", said, days_ago=60),
        field("old", name, old, days_ago=60),
        field("new", name, new, days_ago=9),
    ]
    assert stating_values(memories, past_values(memories)) == ({}, {})
    found = {s.memory.id: s for s in rank(said, memories, now=NOW, settings=WORDS_ONLY)}
    assert found["said"].until is None  # a second dog or a married name leaves what was said as current as it was
    # a married name replaces the caller's; a second dog replaces no dog (another first name: both are current)
    assert ("old" in past_values(memories)) == (name == "caller_name")


def _program_change() -> list[Memory]:
    def said(mid: str, text: str, call: str, days_ago: float) -> Memory:
        return replace(memory(mid, text, days_ago=days_ago), conversation_id=call)

    return [
        said("first", "Farid asked about pre-K for Leila; she starts in the half-day morning session.", "c1", 60),
        replace(field("old", "program", "pre-K half-day morning", days_ago=60), conversation_id="c1"),
        said("other", "Farid asked whether the morning drop-off starts at half past seven.", "c0", 70),
        said("switch", "Farid switched Leila to full-day pre-K for the spring term.", "c2", 9),
        replace(field("new", "program", "pre-K full day", days_ago=9), conversation_id="c2"),
    ]


def test_the_call_that_collected_a_value_may_say_it_in_other_words() -> None:
    memories = _program_change()
    # only the collecting call's words count: "other" says "half" and "morning" in another call
    assert restating_values(memories, past_values(memories)) == {"first": [("program", ("half", "morning"))]}
    assert stating_values(memories, past_values(memories))[0] == {}  # not the value as collected


def test_a_value_restated_in_other_words_ranks_under_the_current_one_unless_the_question_says_them() -> None:
    memories = _program_change()
    found = rank("which program is Leila in", memories, now=NOW, settings=WORDS_ONLY, limit=5)
    about_now = {s.memory.id: s for s in found}
    assert about_now["new"].score > about_now["first"].score
    assert about_now["first"].until is None  # it says more than the value, so it is not marked as past
    about_then = [s.memory.id for s in rank("half-day morning program", memories, now=NOW, settings=WORDS_ONLY)]
    assert about_then[0] == "first"


def test_a_stated_old_value_ranks_below_a_summary_stating_the_current_one() -> None:
    memories = [
        memory("old_summary", "Which bus does Oliver take? From 310 Aspen Drive, bus route 14.", days_ago=59),
        field("old_address", "home_address", "310 Aspen Drive", days_ago=59),
        field("old", "bus_route", "14", days_ago=59),
        memory("new_summary", "Harriet moved; Oliver now rides bus route 22.", days_ago=23),
        field("new_address", "home_address", "88 Fox Hollow Road", days_ago=23),
        field("new", "bus_route", "22", days_ago=23),
    ]
    summaries_only = replace(WORDS_ONLY, min_score=0.35)  # the field "bus route: 22" alone is no answer here
    found = [s.memory.id for s in rank("which bus does Oliver take", memories, now=NOW, settings=summaries_only)]
    assert found.index("new_summary") < found.index("old_summary")  # the old one states two replaced values


def test_a_stated_old_value_is_not_pushed_down_for_a_question_about_something_else() -> None:
    memories = [
        memory("summary", "Lab results showed an A1C of 8.2 and the doctor raised her metformin.", days_ago=40),
        field("old", "a1c", "8.2", days_ago=40),
        field("new", "a1c", "7.1", days_ago=5),
    ]
    assert [s.memory.id for s in rank("metformin", memories, now=NOW, settings=WORDS_ONLY)] == ["summary"]


def test_a_lone_small_number_marks_a_memory_as_past_only_after_the_fields_name() -> None:
    memories = [
        memory("turn", "We'll be there at 8 on Saturday.", days_ago=40),
        field("old", "party_size", "8", days_ago=40),
        field("new", "party_size", "6", days_ago=5),
        memory("summary", "From Aspen Drive Oliver rides bus route 14.", days_ago=40),
        field("old_route", "bus_route", "14", days_ago=40),
        field("new_route", "bus_route", "22", days_ago=5),
    ]
    assert stating_values(memories, past_values(memories))[0] == {"summary": ["bus_route"]}


def test_spoken_and_grouped_numbers_state_a_value_like_digits() -> None:
    memories = [
        memory("turn", "Yes I ordered the trail shoes, size forty-four, European size.", days_ago=40),
        memory("odometer", "The odometer read 112,000 at the brake job.", days_ago=40),
        memory("lines", "Two lines, me and my son.", days_ago=40),
        memory("gift", "I would like to give every month, twenty-five dollars.", days_ago=40),
        memory("new_turn", "The exchange is for size forty-five.", days_ago=5),
        field("old_size", "size", "44", days_ago=40),
        field("new_size", "size", "45", days_ago=5),
        field("old_miles", "odometer", "112000", days_ago=40),
        field("new_miles", "odometer", "118000", days_ago=5),
        field("old_lines", "lines", "2", days_ago=40),
        field("new_lines", "lines", "3", days_ago=5),
        field("old_gift", "donation_amount", "25", days_ago=40),
        field("new_gift", "donation_amount", "40", days_ago=5),
    ]
    stating_past, stating_current = stating_values(memories, past_values(memories))
    assert stating_past == {
        "turn": ["size"],
        "odometer": ["odometer"],
        "lines": ["lines"],
        "gift": ["donation_amount"],
    }
    assert stating_current == {"new_turn": ["size"]}
    found = [s.memory.id for s in rank("shoe size", memories, now=NOW, settings=WORDS_ONLY, limit=10)]
    assert found.index("new_size") < found.index("turn") and found.index("new_turn") < found.index("turn")


def test_a_memory_stating_an_old_amount_keeps_its_place_for_a_question_about_something_else() -> None:
    memories = [
        memory("son", "Hector reserved the back room for his son Mateo's birthday party for 8 people.", days_ago=50),
        field("old", "party_size", "8", days_ago=50),
        memory("more", "Hector increased the party to 11 guests after more of Mateo's friends said yes.", days_ago=44),
        field("new", "party_size", "11", days_ago=44),
    ]
    assert stating_values(memories, past_values(memories))[0] == {"son": ["party_size"]}
    found = [s.memory.id for s in rank("his son's name", memories, now=NOW, settings=WORDS_ONLY)]
    assert found[0] == "son"
    found = [s.memory.id for s in rank("party size", memories, now=NOW, settings=WORDS_ONLY, limit=10)]
    assert found.index("more") < found.index("son") and found.index("new") < found.index("old")


def test_a_question_is_about_a_field_when_it_names_the_field_or_its_kind() -> None:
    from shared.memory.embedding import word_similarities
    from shared.memory.ranking import _field_asked

    assert _field_asked("which bus does Oliver take", word_similarities)("bus_route")
    assert _field_asked("what will the repair cost", word_similarities)("repair_price")
    assert _field_asked("how much will it cost", word_similarities)("quoted_price")
    assert not _field_asked("odometer reading of the old car", word_similarities)("vehicle_interest")
    assert not _field_asked("his son's name", word_similarities)("party_size")


def test_the_same_text_from_several_calls_counts_once_with_the_newest_date() -> None:
    memories = [memory(f"m{n}", "Prefers morning appointments.", days_ago=10 * n) for n in range(1, 4)]
    memories.append(memory("other", "Asked about appointments on Sunday", days_ago=50))
    found = rank("appointments", memories, now=NOW, settings=WORDS_ONLY)
    assert [s.memory.id for s in found] == ["m1", "other"]


def test_nothing_relevant_answers_nothing() -> None:
    memories = [memory("m1", "Booked a table for two", vector=[1.0, 0.0]), memory("m2", "Lives in Lyon")]
    assert rank("insurance premium", memories, now=NOW, query_vector=[0.0, 1.0]) == []


def _far_apart() -> list[Memory]:
    """Four memories whose vectors point in four directions: a question near the first stands out."""
    return [
        memory("card", "A charge from Casavera Bistro came through twice", vector=[1.0, 0.0, 0.0, 0.0]),
        memory("lease", "The lease ends in June", vector=[0.0, 1.0, 0.0, 0.0]),
        memory("dog", "Pickle barks at the door", vector=[0.0, 0.0, 1.0, 0.0]),
        memory("bike", "Rides to work in summer", vector=[0.0, 0.0, 0.0, 1.0]),
    ]


def test_with_nothing_above_the_threshold_the_closest_memory_answers_if_it_stands_out() -> None:
    question = [0.6, 0.1, 0.1, 0.1]  # cosine about 0.96 with the card memory, 0.16 with the others
    strict = RankSettings(min_score=0.9, closest_limit=0)
    assert rank("duplicate transaction", _far_apart(), now=NOW, settings=strict, query_vector=question) == []
    found = rank(
        "duplicate transaction", _far_apart(), now=NOW, settings=replace(strict, closest_limit=1), query_vector=question
    )
    assert [s.memory.id for s in found] == ["card"]
    two = rank(
        "duplicate transaction", _far_apart(), now=NOW, settings=replace(strict, closest_limit=2), query_vector=question
    )
    assert [s.memory.id for s in two] == ["card"]  # the others do not stand out from the median
    flat = [0.5, 0.5, 0.5, 0.5]
    assert rank("anything", _far_apart(), now=NOW, settings=replace(strict, closest_limit=3), query_vector=flat) == []
    no_meaning = replace(strict, closest_limit=1, semantic=False)
    assert rank("duplicate transaction", _far_apart(), now=NOW, settings=no_meaning, query_vector=question) == []


def _three_calls() -> list[Memory]:
    return [
        memory("s1", "Booked a table for Friday, party size 8.", days_ago=30, source="summary"),
        field("f1", "party_size", "8", days_ago=30),
        memory("t1", "We'll be eight, it's my mother's birthday.", days_ago=30, source="caller_turn"),
        memory("s2", "Asked about parking near the restaurant.", days_ago=20, source="summary"),
        memory("s3", "Changed the booking to two people.", days_ago=5, source="summary"),
        field("f3", "party_size", "2", days_ago=5),
    ]


@pytest.mark.parametrize(
    "question",
    ["caller history", "what happened on the last call", "any notes on this customer", "previous conversations"],
)
def test_a_question_about_the_caller_in_general_gets_the_summaries_newest_first(question: str) -> None:
    found = rank(question, _three_calls(), now=NOW, settings=WORDS_ONLY)
    assert [s.memory.id for s in found] == ["s3", "s2", "s1"]
    assert found[2].text.startswith("previously: ")  # it states the party size since replaced
    plain = rank(question, _three_calls(), now=NOW, settings=replace(WORDS_ONLY, general_summaries=False))
    assert [s.memory.id for s in plain] != ["s3", "s2", "s1"]


@pytest.mark.parametrize("question", ["caller history", "any notes on this customer", "previous conversations"])
def test_without_summaries_each_call_is_told_by_the_callers_longest_turn(question: str) -> None:
    """A platform that sends no summary: "caller history" answered nothing (from an outside pre-call audit)."""
    memories = [
        replace(memory("a1", "Hi, this is Dmitri.", days_ago=20, source="caller_turn"), conversation_id="c1"),
        replace(
            memory("a2", "My internet keeps dropping since the storm.", days_ago=20, source="caller_turn"),
            conversation_id="c1",
        ),
        replace(memory("a3", "Okay, thanks.", days_ago=20, source="caller_turn"), conversation_id="c1"),
        replace(
            memory("b1", "The technician never came on Tuesday.", days_ago=3, source="caller_turn"),
            conversation_id="c2",
        ),
        replace(field("f1", "issue", "internet drops", days_ago=20), conversation_id="c1"),
    ]
    assert [s.memory.id for s in rank(question, memories, now=NOW, settings=WORDS_ONLY)] == ["b1", "a2"]


@pytest.mark.parametrize("question", ["party size", "will call", "birthday", "why is she calling about parking"])
def test_a_question_about_a_thing_is_ranked_as_ever(question: str) -> None:
    general = rank(question, _three_calls(), now=NOW, settings=WORDS_ONLY)
    plain = rank(question, _three_calls(), now=NOW, settings=replace(WORDS_ONLY, general_summaries=False))
    assert [s.memory.id for s in general] == [s.memory.id for s in plain]


def _moved() -> list[Memory]:
    """A replaced address far in meaning from the question, three turns close to it that do not say the address."""
    return [
        field("old", "home_address", "12 Elm Street", days_ago=40, vector=[0.0, 1.0, 0.0]),
        field("new", "home_address", "9 Oak Lane", days_ago=5, vector=[1.0, 0.0, 0.0]),
        *(
            memory(f"t{n}", text, days_ago=5, vector=[0.95, 0.0, 0.31], source="caller_turn")
            for n, text in enumerate(("We moved last month.", "The kids love the new place.", "It's closer to work."))
        ),
    ]


@pytest.mark.parametrize(
    "question", ["what was her old address", "previous address", "her original address", "old address from our calls"]
)
def test_asked_for_a_value_as_it_was_the_replaced_one_follows_the_current_one(question: str) -> None:
    found = rank(question, _moved(), now=NOW, query_vector=[1.0, 0.0, 0.0])
    assert [s.memory.id for s in found[:2]] == ["new", "old"]
    assert found[1].until is not None and found[1].text.startswith("previously: ")


@pytest.mark.parametrize(
    "question",
    [
        "her address",
        "how old is her address",
        "her address before the move",
        "her address from previous calls",  # where to look, not which value
        "address she gave in prior conversations",
    ],
)
def test_asked_for_a_value_as_it_is_the_replaced_one_stays_under_what_answers(question: str) -> None:
    found = rank(question, _moved(), now=NOW, query_vector=[1.0, 0.0, 0.0])
    assert found[0].memory.id == "new" and "old" not in [s.memory.id for s in found]


def test_asked_for_a_fields_old_value_the_field_named_comes_first_not_its_neighbour() -> None:
    memories = [
        field("date1", "service_date", "Saturday the 14th", days_ago=30),
        field("time1", "service_time", "11 a.m.", days_ago=30),
        field("date2", "service_date", "Sunday the 15th", days_ago=10),
        field("time2", "service_time", "2 p.m.", days_ago=10),
        memory("s", "Moved the memorial service to Sunday afternoon so her brother can fly in.", days_ago=10),
    ]
    found = rank("previous service date", memories, now=NOW, settings=WORDS_ONLY)
    assert [s.memory.id for s in found[:2]] == ["date2", "date1"]
    assert found[1].text == "previously: service date: Saturday the 14th, until 2030-01-05"


@pytest.mark.parametrize(
    ("question", "text"),
    [
        ("right hearing aid lost or damaged", "reason for call: lost left hearing aid"),
        ("problems with the left hearing aid", "issue: right aid cuts out"),
        ("left hand injury", "I cut my right hand at work."),
        ("upper denture repair", "lower denture relined last spring"),
    ],
)
def test_the_other_side_is_not_an_answer(question: str, text: str) -> None:
    memories = [memory("side", text), memory("other", "Booked a table for two on Friday.")]
    assert rank(question, memories, now=NOW, settings=WORDS_ONLY) == []
    assert [
        s.memory.id for s in rank(question, memories, now=NOW, settings=replace(WORDS_ONLY, contrast_similarity=0))
    ][:1] == ["side"]


@pytest.mark.parametrize(
    ("question", "text"),
    [
        ("right knee", "My left knee and my right knee both hurt."),  # it says the side asked too
        ("left hand injury", "I left a message about my hand."),  # "left" a verb: no hand after it
        ("hearing aid", "lost left hearing aid"),  # no side asked
    ],
)
def test_a_side_the_question_does_not_contradict_answers(question: str, text: str) -> None:
    memories = [memory("side", text), memory("other", "Booked a table for two on Friday.")]
    assert [s.memory.id for s in rank(question, memories, now=NOW, settings=WORDS_ONLY)][:1] == ["side"]


@pytest.mark.parametrize(
    ("question", "named", "answer"),
    [
        ("Pieter's phone number", "It's me and my husband Pieter, and the dog.", "Pieter's cell is 555-0148."),
        ("Wanda's email address", "site contact: Wanda Ellis, 555-0112", "Wanda's email is wanda at example dot com."),
    ],
)
def test_a_number_or_an_email_asked_for_is_answered_only_by_one(question: str, named: str, answer: str) -> None:
    """A memory naming the person but giving no number tells the agent nothing it asked and invites a guess."""
    memories = [memory("named", named), memory("other", "Booked a table for two on Friday.")]
    assert rank(question, memories, now=NOW, settings=WORDS_ONLY) == []
    found = rank(question, [*memories, memory("answer", answer)], now=NOW, settings=WORDS_ONLY)
    assert [s.memory.id for s in found] == ["answer"]
    assert [s.memory.id for s in rank(question, memories, now=NOW, settings=replace(WORDS_ONLY, answer_kind_weight=0))][
        :1
    ] == ["named"]  # with the kinds of value off, as before


def test_an_email_spoken_in_other_words_than_the_question_still_answers_it() -> None:
    """Spelt out in a turn, the address shares no word with "email address" and sits under the threshold; it is the
    only kind of memory that can answer, so stating one counts as much as it does above the threshold."""
    memories = [
        memory("said", "It's L Kettering dot home, at example dot com.", vector=[0.57, 0.82, 0.0]),
        memory("topic", "Mail it, please, I'm not great with the email.", vector=[0.0, 0.0, 1.0]),
        memory("other", "Booked a table for two on Friday.", vector=[0.0, 1.0, 0.0]),
    ]
    settings = RankSettings(closest_limit=0, alike_gap=0)
    found = rank("email address", memories, now=NOW, settings=settings, query_vector=[1.0, 0.0, 0.0])
    assert [s.memory.id for s in found] == ["said"]
    off = rank(
        "email address",
        memories,
        now=NOW,
        settings=replace(settings, answer_kind_weight=0),
        query_vector=[1.0, 0.0, 0.0],
    )
    assert "said" not in [s.memory.id for s in off]


SMALL_TALK_TURNS = ("Okay, thank you so much.", "Uh, hold on a second.", "Can you hear me?", "Yeah.")


def test_small_talk_neither_answers_nor_makes_another_memory_stand_out() -> None:
    """Real calls are full of "Okay, thanks": far from every question, such turns pulled the caller's median down
    until the closest memory stood out, and a question about something never said got it."""
    apart = _far_apart()[:3]
    talk = [
        memory(f"t{n}", text, vector=[0.0, 0.0, 0.0, 1.0], source="caller_turn")
        for n, text in enumerate(SMALL_TALK_TURNS)
    ]
    question = [0.5, 0.47, 0.47, 0.0]  # cosine 0.60 with the card memory, 0.57 with the two others: none stands out
    settings = RankSettings(min_score=0.9, closest_limit=1)
    assert rank("gift wrapping", apart, now=NOW, settings=settings, query_vector=question) == []
    assert rank("gift wrapping", apart + talk, now=NOW, settings=settings, query_vector=question) == []
    kept = replace(settings, skip_small_talk=False)
    found = rank("gift wrapping", apart + talk, now=NOW, settings=kept, query_vector=question)
    assert found and found[0].memory.id == "card"  # the closest stands out only against the small talk
    assert rank("can you hear me", talk, now=NOW, settings=WORDS_ONLY) == []


@pytest.mark.parametrize(
    "text", (*SMALL_TALK_TURNS, "Great, thanks.", "No, that's it.", "Sorry, what was that?", "...")
)
def test_small_talk(text: str) -> None:
    assert small_talk(text)


@pytest.mark.parametrize(
    "text", ["Yes, the gold one.", "Twelve.", "In the morning.", "Tuesday works.", "4471", "No, I'm allergic to latex."]
)
def test_a_turn_that_says_something_is_not_small_talk(text: str) -> None:
    assert not small_talk(text)
    said = memory("said", text, source="caller_turn")
    assert rank(text, [said], now=NOW, settings=WORDS_ONLY)  # found by its own words


def test_a_memory_as_close_in_meaning_as_an_answer_answers_too() -> None:
    memories = [
        memory("wedding", "event type: wedding reception", vector=[0.8, 0.6, 0.0]),  # cosine 0.80, shares a word
        memory("fiancee", "Leopold and his fiancee Camila toured the venue", vector=[0.78, 0.0, 0.6258]),  # 0.78
        memory("deposit", "He paid a 2,000 dollar deposit", vector=[0.7, 0.0, 0.7141]),  # 0.70: too far below
        memory("lease", "The lease ends in June", vector=[0.0, 1.0, 0.0]),
    ]
    words_pass = RankSettings(lexical_weight=1.0, semantic_weight=0.0, word_weight=0.0, min_score=0.3)
    found = rank("the bride at the wedding", memories, now=NOW, settings=words_pass, query_vector=[1.0, 0.0, 0.0])
    assert [s.memory.id for s in found] == ["wedding", "fiancee"]
    off = replace(words_pass, alike_gap=0.0)
    found = rank("the bride at the wedding", memories, now=NOW, settings=off, query_vector=[1.0, 0.0, 0.0])
    assert [s.memory.id for s in found] == ["wedding"]


@pytest.mark.parametrize(
    ("question", "texts"),
    [
        (
            "where does she live",
            ["She moved to 412 Larkspur Lane last month", "She started a new job at the library"],
        ),
        (
            "what kind of dog does she have",
            ["Her beagle, Rosie, is seven", "She's bringing the dog for the weekend"],  # a breed: the kind of dog
        ),
        (
            "what car does she drive",
            ["She drives a Subaru Forester", "Her car makes a noise when she brakes"],  # a make and model
        ),
        (
            "where does she work",
            ["She is employed by Brookline Dental", "She wants to work on her credit score"],  # an employer
        ),
        (
            "reason for the trip",
            ["She's in town for a conference", "She asked for a room away from the elevator"],  # an occasion
        ),
        (
            "how often do the cleaners come",
            ["The cleaners come twice a month", "The cleaners should skip the guest room"],  # a frequency
        ),
        (
            "which insurance does she have",
            ["She is on the Larkfield Health plan", "She wants the insurance paperwork mailed"],  # an insurer
        ),
        (
            "what does she do for a living",
            ["She is a pharmacist at the clinic", "She is living with her sister for now"],  # an occupation
        ),
    ],
)
def test_an_answer_stating_the_kind_of_value_asked_for_ranks_first(question: str, texts: list[str]) -> None:
    def at(cosine: float) -> list[float]:
        return [cosine, (1 - cosine**2) ** 0.5, 0.0]

    memories = [
        memory("moved", texts[0], vector=at(0.80)),  # states the kind asked for ("412 Larkspur Lane", "beagle")
        memory("job", texts[1], vector=at(0.85)),
        memory("other", "Her dog Biscuit has surgery on Monday", vector=at(0.82)),
        memory("old", "We lived at 88 Birchwood Court for years", vector=at(0.52)),  # under min_score: stays out
    ]
    meaning = RankSettings(lexical_weight=0.0, semantic_weight=1.0, word_weight=0.0, min_score=0.1, alike_gap=0.0)
    found = rank(question, memories, now=NOW, settings=meaning, query_vector=[1.0, 0.0, 0.0])
    assert [s.memory.id for s in found] == ["moved", "job", "other"]
    off = replace(meaning, answer_kind_weight=0.0)
    found = rank(question, memories, now=NOW, settings=off, query_vector=[1.0, 0.0, 0.0])
    assert [s.memory.id for s in found] == ["job", "other", "moved"]


def test_the_closest_memory_is_never_a_past_value_another_kind_or_one_of_too_few() -> None:
    settings = RankSettings(min_score=0.9, closest_limit=1)
    question = [0.6, 0.1, 0.1, 0.1]
    memories = _far_apart()
    replaced = [
        replace(memories[0], metadata={"field": "charge", "value": "Casavera twice"}, created_at=NOW - timedelta(5)),
        memory(
            "new",
            "charge: Casavera once",
            days_ago=1,
            field="charge",
            value="Casavera once",
            vector=[0.0, 1.0, 0.0, 0.0],  # the new value is far from the question
        ),
        *memories[1:],
    ]
    assert rank("duplicate transaction", replaced, now=NOW, settings=settings, query_vector=question) == []
    kinds = [replace(memories[0], text="product: term life insurance"), *memories[1:]]
    assert (
        rank(
            "pet insurance",
            kinds,
            now=NOW,
            settings=replace(settings, min_score=2.0),
            query_vector=question,
            word_similarities=unlike,
        )
        == []
    )
    assert rank("duplicate transaction", memories[:2], now=NOW, settings=settings, query_vector=question) == []


def test_recency_breaks_near_ties_and_expired_memories_never_return() -> None:
    expired = Memory(
        "x",
        "+15555550123",
        "support",
        "factual",
        "parking at the back",
        NOW - timedelta(days=400),
        expires_at=NOW - timedelta(days=1),
    )
    memories = [memory("old", "parking at the front", days_ago=300), memory("new", "parking at the side"), expired]
    assert [s.memory.id for s in rank("parking", memories, now=NOW, settings=WORDS_ONLY)] == ["new", "old"]


def test_answers_scoring_alike_come_newest_first_and_a_past_value_stays_put() -> None:
    lorna = memory("lorna", "Invoices go to Lorna Vick in accounts payable.", days_ago=40)
    ravi = memory("ravi", "Invoices now go to Ravi Chandran in accounting.", days_ago=5)
    turn = memory("turn", "Our accounting wants the invoices.", days_ago=60)
    scores = {"turn": 0.66, "lorna": 0.645, "ravi": 0.639}  # each within 0.02 of the one above it
    assert [m.id for m in _newest_first_in_ties([turn, lorna, ravi], scores, set(), 0.02)] == ["ravi", "lorna", "turn"]
    assert [m.id for m in _newest_first_in_ties([turn, lorna, ravi], scores, set(), 0)] == ["turn", "lorna", "ravi"]
    apart = {"turn": 0.70, "lorna": 0.645, "ravi": 0.60}
    assert [m.id for m in _newest_first_in_ties([turn, lorna, ravi], apart, set(), 0.02)] == ["turn", "lorna", "ravi"]
    # a memory marked past never moves up, and no answer moves past it
    assert [m.id for m in _newest_first_in_ties([turn, lorna, ravi], scores, {"lorna"}, 0.02)] == [
        "turn",
        "lorna",
        "ravi",
    ]


def test_only_the_order_of_the_answers_chosen_changes_in_a_near_tie() -> None:
    memories = [
        memory("old", "parking by the gate", days_ago=90, vector=[1.0, 0.1]),
        memory("mid", "parking at the side", days_ago=30, vector=[1.0, 0.2]),
        memory("new", "a new gate code", days_ago=1, vector=[1.0, 1.0]),
    ]
    settings = RankSettings(
        lexical_weight=0, semantic_weight=1, word_weight=0, recency_weight=0, semantic_floor=0, min_score=0.01
    )

    def ids(tie: float) -> list[str]:
        found = rank(
            "parking", memories, now=NOW, settings=replace(settings, recency_tie=tie), query_vector=[1, 0], limit=2
        )
        return [s.memory.id for s in found]

    assert ids(0) == ["old", "mid"]
    assert ids(0.5) == ["mid", "old"]  # the newer first; the third memory, newest of all, does not come in


def test_an_irregular_form_answers_for_its_base_word() -> None:
    memories = [field("dose", "dosage", "3 units twice daily", days_ago=2), memory("pet", "Otis is a cat", days_ago=2)]
    assert [s.memory.id for s in rank("insulin dose", memories, now=NOW, settings=WORDS_ONLY)] == ["dose"]
    assert [s.memory.id for s in rank("tooth pain", [memory("t", "my teeth hurt")], now=NOW, settings=WORDS_ONLY)]


def test_limit_and_empty_queries() -> None:
    memories = [memory(f"m{n}", f"parking note {n}") for n in range(5)]
    assert len(rank("parking", memories, now=NOW, settings=WORDS_ONLY, limit=2)) == 2
    assert rank("   ", memories, now=NOW) == []
    assert rank("parking", memories, now=NOW, limit=0) == []


def test_every_ranking_setting_of_an_agent_type_reaches_the_ranking() -> None:
    from shared.config.models import MemoryConfig, RankingConfig
    from shared.memory.manager import MemoryManager

    defaults = RankSettings()
    assert {name: getattr(defaults, name) for name in RankingConfig.model_fields} == RankingConfig().model_dump()
    changed = {
        name: value + 1 if isinstance(value, int) else value / 2 for name, value in RankingConfig().model_dump().items()
    }
    config = MemoryConfig(ranking=RankingConfig(**changed), semantic_search=False)
    settings = MemoryManager(None, "support", config).rank_settings()  # type: ignore[arg-type]
    assert {name: getattr(settings, name) for name in changed} == changed
    assert settings.semantic is False


def test_a_tie_of_score_and_time_is_broken_by_text_not_by_the_order_memories_were_read() -> None:
    """A call's memories share its time, and a store reads them in id order; ids come from the platform's event key,
    so the same call from another platform's wire came back in another order and was ranked differently."""
    when = datetime(2030, 1, 10, tzinfo=UTC)
    plain = RankSettings(semantic=False, lexical_weight=1, semantic_weight=0, word_weight=0, recency_weight=0)
    call = [
        Memory(f"m{n}", "+15555550123", "t", "semantic", text, when)
        for n, text in enumerate(["Parking at the blue gate", "Parking at the east gate", "Parking at the main gate"])
    ]
    answers = {
        tuple(s.text for s in rank("parking gate", order, now=when, settings=plain, limit=2))
        for order in (call, call[::-1], [call[1], call[2], call[0]])
    }
    assert answers == {("Parking at the blue gate", "Parking at the east gate")}


def test_a_question_naming_one_pet_gets_nothing_from_a_call_about_another() -> None:
    """Asked "Otis's weight", Juniper's ``pet_weight`` (and her owner's turns about her) is no answer: the agent would
    read it as Otis's. A memory of that call saying the name asked, the household's fields and a call naming no
    pet stay answers."""

    def said(mid: str, text: str, call: str, days_ago: float, **meta: str) -> Memory:
        return replace(memory(mid, text, days_ago=days_ago, **meta), conversation_id=call)

    memories = [
        said("juniper", "pet name: Juniper", "c1", 40, field="pet_name", value="Juniper"),
        said("weight", "pet weight: 4.8 kg", "c1", 40, field="pet_weight", value="4.8 kg"),
        said("allergic", "She's allergic to chicken, so no chicken treats.", "c1", 40, source="caller_turn"),
        said("address", "home address: 12 Quarry Lane", "c1", 40, field="home_address", value="12 Quarry Lane"),
        said("otis", "pet name: Otis", "c2", 6, field="pet_name", value="Otis"),
        said("breed", "breed: beagle", "c2", 6, field="breed", value="beagle"),
        said("both", "Otis and Juniper both need their weight checked.", "c2", 6, source="caller_turn"),
    ]
    found = [s.memory.id for s in rank("Otis's weight", memories, now=NOW, settings=WORDS_ONLY)]
    assert "weight" not in found and "both" in found
    assert "allergic" not in [s.memory.id for s in rank("Otis allergies", memories, now=NOW, settings=WORDS_ONLY)]
    assert "breed" not in [s.memory.id for s in rank("Juniper's breed", memories, now=NOW, settings=WORDS_ONLY)]
    assert "address" in [s.memory.id for s in rank("Otis's home address", memories, now=NOW, settings=WORDS_ONLY)]
    assert "weight" in [s.memory.id for s in rank("Juniper's weight", memories, now=NOW, settings=WORDS_ONLY)]
    assert "weight" in [s.memory.id for s in rank("pet weight", memories, now=NOW, settings=WORDS_ONLY)]


def _with_old_fields() -> list[Memory]:
    """A schema that collects the value replaced beside the new one, in the call that changed it."""
    from shared.memory.embedding import with_vectors

    return with_vectors(
        [
            field("limit1", "credit_limit", "6000", days_ago=30),
            field("prior", "previous_credit_limit", "6000", days_ago=5),
            field("limit2", "credit_limit", "9000", days_ago=5),
            field("moved", "previous_address", "12 Oak Street", days_ago=5),
            field("home", "home_address", "48 Birch Lane", days_ago=5),
            field("old_phone", "old_phone", "555 0101", days_ago=5),
            field("phone", "phone", "555 0199", days_ago=5),
        ]
    )


@pytest.mark.parametrize(
    ("question", "current", "replaced"),
    [
        ("current credit limit", "limit2", "prior"),
        ("credit limit", "limit2", "prior"),
        ("where does she live", "home", "moved"),
        ("address", "home", "moved"),
        ("phone number", "phone", "old_phone"),
    ],
)
def test_a_field_named_as_past_ranks_under_the_value_that_replaced_it(
    question: str, current: str, replaced: str
) -> None:
    """``previous_credit_limit`` read as "credit limit" to the question (``previous`` says nothing to a search) and
    outranked the current ``credit_limit``; asked for the value as it was, it still answers first."""
    from shared.memory.embedding import embed_query, word_similarities

    memories = _with_old_fields()
    found = [
        s.memory.id
        for s in rank(
            question,
            memories,
            now=NOW,
            query_vector=embed_query(question),
            word_similarities=word_similarities,
            limit=5,
        )
    ]
    assert current in found and found.index(current) < (found.index(replaced) if replaced in found else 99)
    asked = question.replace("current ", "").replace("where does she live", "address")
    before = rank(
        f"previous {asked}",
        memories,
        now=NOW,
        query_vector=embed_query(f"previous {asked}"),
        word_similarities=word_similarities,
        limit=5,
    )
    assert replaced in [s.memory.id for s in before[:2]]
