"""Whom a call is about: the pet, patient, child or student a field such as ``pet_name`` names.

A family calls about two dogs, a parent about two children, a daughter about her mother's prescriptions and then
her own. A later call's ``species: dog`` (about Waffles) does not replace ``species: cat`` (about Pickles): both
hold. So a value replaces an earlier one of the same field only when the two calls are not about two different
subjects (``same_subject``). What belongs to the household rather than to one of them (an address, an insurance,
a phone number, a card, a pickup store) is replaced whoever the call was about. A call that names no subject is
taken to be about whoever the field's earlier value was about ("his lesson moved to Tuesday").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache

from shared.memory.models import Memory, field_key
from shared.memory.terms import words

ROLES = frozenset(
    "patient pet dog cat puppy kitten horse animal child kid son daughter baby student camper dependent".split()
)
"""A field ``<role>_name`` names the call's subject (``pet_name``, ``student_name``, ``patientName``)."""

HOUSEHOLD = frozenset(
    "address insurance insurer phone contact callback email payment card billing account store pharmacy zip".split()
)
"""Words of a field that belongs to the caller's household, whoever the call was about."""


@lru_cache(maxsize=4096)
def names_subject(field: str) -> bool:
    parts = field_key(field).split("_")
    return len(parts) >= 2 and parts[-1] == "name" and parts[-2] in ROLES


@lru_cache(maxsize=4096)
def _household(field: str) -> bool:
    return not HOUSEHOLD.isdisjoint(field_key(field).split("_"))


CALLERS = ("caller_name", "full_name", "first_name", "name", "customer_name")
"""Fields that name whoever was on the line, the first a call gives in this order (a call's ``customer_name`` may be
the account holder the caller phones for): on a number a household shares, the call is about them."""
TITLES = frozenset(
    """mr mrs ms miss mx mister madam dr doctor prof professor sir dame rev revd reverend fr father pastor rabbi imam
    sister sr brother br deacon bishop capt captain col lt sgt judge hon""".split()
)
"""Words that come before a name and are not one: a greeting keeps the title with the surname ("Dr. Okafor",
"Father Doyle", "Pastor Mbeki"), and a person is told apart by the given name after it."""


def given_name(value: str) -> str:
    """The given name of a name as a call records it: "dana" of "Dana Whitfield", "Whitfield, Dana" or "Ms. Dana
    Whitfield"."""
    head, comma, tail = value.partition(",")
    words = [w.strip(".").lower() for w in (f"{tail} {head}" if comma and tail.split() else head).split()]
    words = [w for w in words if w and w not in TITLES]
    return words[0] if words else ""


def same_person(name: str, other: str) -> bool:
    """Whether two given names are one person's: the same, or one respelt or shortened ("Rosalyn" corrected to
    "Rosalind", "Shivaun" to "Siobhan", "Lori" for "Lorraine"), not another's ("Lars" and "Ingrid")."""
    if name == other:
        return True
    from difflib import SequenceMatcher  # only for a number two names called from; 4 ms off the cold start

    return SequenceMatcher(None, name, other).ratio() >= SAME_PERSON


SAME_PERSON = 0.5


def callers(memories: Sequence[Memory]) -> dict[str | None, str]:
    """Each call -> the given name of whoever was on the line (``CALLERS``), one spelling per person: the first
    call's ("Rosalyn" then "Rosalind" is "rosalyn" twice)."""
    said: dict[str | None, tuple[int, datetime, str]] = {}
    for memory in memories:
        field, value = memory.metadata.get("field"), memory.metadata.get("value")
        if not (isinstance(field, str) and isinstance(value, str)) or field_key(field) not in CALLERS:
            continue
        rank, name = CALLERS.index(field_key(field)), given_name(value)
        if name and (memory.conversation_id not in said or rank < said[memory.conversation_id][0]):
            said[memory.conversation_id] = (rank, memory.created_at, name)
    people: list[str] = []
    found: dict[str | None, str] = {}
    for call, (_, _, name) in sorted(said.items(), key=lambda item: item[1][1]):
        found[call] = next((person for person in people if same_person(person, name)), name)
        if found[call] == name and name not in people:
            people.append(name)
    return found


def subjects(memories: Sequence[Memory], callers_from: Sequence[Memory] | None = None) -> dict[str | None, str]:
    """Each call (its conversation id) -> the first name of whom it is about, for the calls that name one: the pet,
    patient or child its ``<role>_name`` names, else, on a number from which two people have called (a couple, a
    parent and a teenager), the caller its ``caller_name`` names: Lars's eye exam does not replace Ingrid's hearing
    test. A number only one person calls from changes nothing. ``callers_from``: the memories to read who called
    from, when ``memories`` keep one copy of a repeated text (the same caller_name on every call is one memory
    there, and the earlier calls would be read from their ``customer_name`` as another person's)."""
    found: dict[str | None, str] = {}
    for memory in memories:
        field, value = memory.metadata.get("field"), memory.metadata.get("value")
        if isinstance(field, str) and isinstance(value, str) and value.split() and names_subject(field):
            found.setdefault(memory.conversation_id, value.split()[0].lower())
    on_the_line = callers(memories if callers_from is None else callers_from)
    if len(set(on_the_line.values())) > 1:
        for call, name in on_the_line.items():
            found.setdefault(call, name)
    return found


def _first_name(memory: Memory) -> str:
    value = memory.metadata.get("value")
    return value.split()[0].lower() if isinstance(value, str) and value.split() else ""


def same_subject(field: str, earlier: Memory, later: Memory, about: Mapping[str | None, str]) -> bool:
    """Whether ``later``'s value of ``field`` may replace ``earlier``'s: not two calls about two different subjects,
    unless the field is the household's. A subject's own name is replaced only under the same first name (a
    surname corrected); another first name is another pet or child, not a new name for the first."""
    if names_subject(field):
        return _first_name(earlier) == _first_name(later)
    if not about or _household(field) or field_key(field) in CALLERS or field_key(field) == "last_name":
        return True
    first, second = about.get(earlier.conversation_id), about.get(later.conversation_id)
    return first is None or second is None or first == second


def _named_per_call(memories: Sequence[Memory]) -> dict[str | None, set[str]]:
    """Each call -> the first names of every pet, patient or child its ``<role>_name`` fields name."""
    named: dict[str | None, set[str]] = {}
    for memory in memories:
        field, value = memory.metadata.get("field"), memory.metadata.get("value")
        said = words(value) if isinstance(field, str) and isinstance(value, str) and names_subject(field) else []
        if said:
            named.setdefault(memory.conversation_id, set()).add(said[0])
    return named


def about_another(query: str, memories: Sequence[Memory], every: Sequence[Memory]) -> set[str]:
    """The memories of a call about another pet, patient or child than the one the question names: asked "Otis's
    weight", Juniper's ``pet_weight: 4.8 kg`` is no answer, nor "She's allergic to chicken" from Juniper's call to
    "Otis allergies", nor Otis's ``breed: beagle`` to "Juniper's breed". Only when the caller's calls name two or
    more of them and the question names exactly one; the household's fields, the names themselves, the memories of
    a call that names no one and a memory that says the name asked stay. ``every``: the memories to read whom each
    call is about (all copies of a repeated text)."""
    named = _named_per_call(every)
    known = set().union(*named.values())
    asked = known.intersection(words(query))
    if len(known) < 2 or len(asked) != 1:
        return set()
    out: set[str] = set()
    for memory in memories:
        field = memory.metadata.get("field")
        if isinstance(field, str) and (names_subject(field) or _household(field) or field_key(field) in CALLERS):
            continue
        names = named.get(memory.conversation_id)
        if names and not names & asked and not asked.intersection(words(memory.text)):
            out.add(memory.id)
    return out
