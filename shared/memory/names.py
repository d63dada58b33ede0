"""A name in the question: the caller's own picks nothing, and a name field it already says is not an answer.

Agents' LLMs often put the caller's name in a search ("Tobias Okafor policy number", "party size for Corinne
Vasquez"). Every memory searched is that caller's, so the name tells none apart; yet it matches the field that
records it ("caller name: Tobias Okafor"), the turns that say it and the summaries that use it, and those rank above
the policy number asked for. So the ranking searches for the question without the caller's own name
(``without_callers_name``), and leaves out a name field whose name the question already says ("patient name: Nadia
Haddad" for "Nadia's next appointment", ``name_fields_said``), unless the question asks for a name; nor is the
caller's own name field an answer to anything but the caller's name ("caller's job", "child's name",
``asks_the_callers_name``), nor a memory that names no one ("her husband is having surgery",
``names_someone``). Another person's name stays in the question: it picks which child, pet or patient
is meant ("Amara's weight"). Pure functions over a caller's memories; a field memory carries its field and value in
``Memory.metadata``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from functools import lru_cache

from shared.memory.answer_kinds import CALENDAR, PERSON_WORDS
from shared.memory.models import Memory, field_key
from shared.memory.terms import SELECTORS, STOP_WORDS, words

CALLER_NAME_FIELDS = frozenset({"caller_name", "customer_name", "full_name", "first_name", "last_name", "name"})
"""Fields that record the caller's own name by default: ``caller_name`` and the usual aliases; an agent type adds
those its ``auto_extract.caller_name.fields`` lists."""
_NAME = frozenset({"name", "names", "named"})
"""The words that ask for a name in any question. "called" and "call" ask for one only beside the caller's name
("what is Dana called"): "when her husband called" asks for no name."""
ASKS_A_NAME = _NAME | {"called", "call"}
"""Words that ask for a name, perhaps the caller's own ("what is Dana's full name"). "Who" does not: with the
caller's name in it, it asks for someone else ("who is Corinne marrying": her fiance Tobias)."""
_NAME_PARTS = frozenset(
    """full first last given family middle maiden legal preferred nickname nick surname spelling spell spelled spelt
    correct account holder file originally formerly""".split()
)
"""Words that pick a part or a form of one's own name ("her full name", "spelling of his last name")."""
_MAY_BE_THE_CALLER = frozenset("parent parents guardian mother mom mum mama father dad papa caregiver".split())
OTHER_PEOPLE = PERSON_WORDS - _MAY_BE_THE_CALLER
"""Relations and roles that are never the caller: "her husband's name" is not the caller's name, while "parent
name" at a children's clinic may be."""
_TOKEN = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)?")  # "Tobias's", with a straight or a curly apostrophe
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+")
_TITLE = re.compile(r"\b(?:Dr|Mr|Mrs|Ms|St)\.$")  # "Dr. Ferreira": no sentence ends there
_NOT_A_NAME = CALENDAR | frozenset(
    "may dr mr mrs ms miss doctor professor okay ok hi hello hey yeah yes no um uh so oh well".split()
)  # a title spelt out ("this is Doctor Adeyemi") names no one of its own: the name after it does


def _value_words(memory: Memory) -> set[str]:
    value = memory.metadata.get("value")
    return {w for w in words(value if isinstance(value, str) else "") if len(w) > 1}


def _field(memory: Memory) -> str:
    name = memory.metadata.get("field")
    return field_key(name) if isinstance(name, str) else ""


def _keys(fields: Collection[str]) -> frozenset[str]:
    return _keys_of(fields if isinstance(fields, frozenset) else frozenset(fields))


@lru_cache(maxsize=256)
def _keys_of(fields: frozenset[str]) -> frozenset[str]:
    return frozenset(field_key(f) for f in fields)


def is_name_field(memory: Memory, fields: Collection[str]) -> bool:
    """Whether the memory records one of ``fields`` (the caller's name and its aliases), in any spelling."""
    return _field(memory) in _keys(fields)


def without_callers_name(query: str, memories: Sequence[Memory], fields: Collection[str] = CALLER_NAME_FIELDS) -> str:
    """``query`` without the caller's own name (the values of ``fields``), when something else is asked ("policy
    number"); else ``query``.

    A word is taken for the name when it is one of the caller's recorded names and the question writes it with a
    capital ("Bill Ortega's balance", not "bill amount") or beside another of them ("tobias okafor policy")."""
    if ASKS_A_NAME.intersection(words(query)):
        return query
    keys = _keys(fields)
    names = frozenset().union(*(_value_words(m) for m in memories if _field(m) in keys))
    return _without(query, names) if names else query


@lru_cache(maxsize=4096)
def _without(query: str, names: frozenset[str]) -> str:
    """``without_callers_name`` once the caller's names are known (cached: a search asks it twice, for the query's
    vector and for the ranking, and an agent repeats its questions)."""
    tokens = _TOKEN.findall(query)
    said = [(words(token) or [""])[0] for token in tokens]
    is_name = [
        word in names
        and (token[:1].isupper() or (i > 0 and said[i - 1] in names) or (i + 1 < len(said) and said[i + 1] in names))
        for i, (token, word) in enumerate(zip(tokens, said, strict=True))
    ]
    kept = [token for token, name in zip(tokens, is_name, strict=True) if not name]
    if len(kept) == len(tokens) or not any(w not in STOP_WORDS for token in kept for w in words(token)):
        return query
    return " ".join(kept)


def name_fields_said(query: str, memories: Sequence[Memory]) -> set[str]:
    """Ids of name fields ("patient name: Nadia Haddad") whose name the question already says, when it asks for
    something else ("Nadia's next appointment"): they tell the agent nothing it did not ask with. A question that
    asks for a name, or says nothing but names ("Dana"), leaves them in."""
    asked = set(words(query))
    if ASKS_A_NAME & asked:
        return set()
    fields = {m.id: _value_words(m) for m in memories if _field(m).endswith("name")}
    named = set().union(*fields.values())
    if not {w for w in asked - named if w not in STOP_WORDS and len(w) > 1}:
        return set()
    return {mid for mid, said in fields.items() if said & asked}


def asks_another_persons_name(query: str) -> bool:
    """Whether the question asks for the name of a relative or a role ("Gail's husband's name", "name of her
    cardiologist"): the caller's own name field is then never the answer, though it says "name"."""
    said = set(words(query))
    return bool(said & _NAME and said & OTHER_PEOPLE)


def asks_the_callers_name(query: str, memories: Sequence[Memory], fields: Collection[str] = CALLER_NAME_FIELDS) -> bool:
    """Whether the question asks for the caller's own name ("caller name", "her full name", "who is calling",
    "spelling of Dana's last name", "previous patient name" where ``patient_name`` is one of ``fields``, or just
    "Dana Whitfield"): a name asked for or said, and no other word than the caller's names, the words of ``fields``
    and parts of a name.

    Only then is the caller's name field an answer. The agent greets the caller by it; for "caller's job", "child's
    name" or "business name" it said nothing asked, and on the twenty-nine recall sets it took one of the three
    places 66 times without once being the answer."""
    said = set(words(query))
    keys = _keys(fields)
    names = set().union(*(_value_words(m) for m in memories if _field(m) in keys))
    if not said & (ASKS_A_NAME | _NAME_PARTS | {"who"} | names):
        return False
    own = names.union(*(k.split("_") for k in keys))
    return not any(
        w not in STOP_WORDS and w not in _NAME_PARTS and w not in SELECTORS and w not in own and len(w) > 1
        for w in said
    )


def known_names(query: str, memories: Sequence[Memory], fields: Collection[str] = CALLER_NAME_FIELDS) -> frozenset[str]:
    """The names a question already knows: its own words and the caller's recorded names."""
    keys = _keys(fields)
    own = set().union(*(_value_words(m) for m in memories if _field(m) in keys))
    return frozenset(own.union(words(query)))


def names_someone(text: str, known: Collection[str]) -> bool:
    """Whether ``text`` names someone besides ``known``: a capitalised word that does not begin a sentence and is
    not a day or a month ("my wife Claudette", "Dr. Ferreira", "refill pickup: Tomas"). Asked "her doctor's name",
    a memory that only says "the doctor bumped it up" is no answer, and returned it reads as one."""
    for match in _CAPITALISED.finditer(text):
        before = text[: match.start()].rstrip()
        if not before or (before[-1] in ".!?" and not _TITLE.search(before)):
            continue
        word = match.group(0).lower()
        if word not in _NOT_A_NAME and word not in known:
            return True
    return False


def part_of_name(field: str, value: str, fuller: str) -> bool:
    """Whether ``value`` of a name field says only part of ``fuller`` ("Magdalena" of "Magdalena Kowalczyk"): the
    same name caught in part on a later call, not a new name. The surname stays known and current, never "previously:
    caller name: Magdalena Kowalczyk"."""
    if not field_key(field).endswith("name"):
        return False
    said, whole = words(value), words(fuller)
    return bool(said) and len(said) < len(whole) and said[0] == whole[0] and set(said) <= set(whole)
