"""Caller attributes shown before the call (``caller_name``, ...), from structured fields first.

Platform extraction (ElevenLabs ``data_collection_results``, Vapi ``structuredData``, Retell
``custom_analysis_data``) is stored as field memories and preferred. The regex fallback returns nothing rather
than a wrong value: a name must be one to three capitalised words, none of them a common English word, so
"User is interested", "I am going to travel" or "called about billing" never become "Is", "Going To" or
"About Billing".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache

from shared.config.models import AutoExtractRule
from shared.memory.answer_kinds import PERSON_WORDS
from shared.memory.from_call import says_nothing
from shared.memory.models import Memory, field_key, field_label
from shared.memory.names import part_of_name
from shared.memory.subjects import CALLERS

_NAME_WORD = re.compile(r"^[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?$")
_COMMON_WORDS = (
    "a about after again all also am an and any are as at back be because been before being best better "
    "both but by call called calling can could did do does doing done down each else even ever every few "
    "for from get getting go going gone good got had has have having he hello her here hers him his how i "
    "if in interested into is it its just know like looking me more most my need needs new no not now of "
    "off on once one only or other our out over own please really regarding same she should so some still "
    "such sure than thank thanks that the their them then there these they this those through to too "
    "trying under until up us very want wanting wants was we well were what when where which while who "
    "why will with would yes yet you your billing issue issues account customer user caller agent support "
    "sales service calling phone number today tomorrow yesterday morning afternoon evening monday tuesday "
    "wednesday thursday friday saturday sunday premium plan help problem question order payment "
    # what else follows "I'm" or "this is" in real calls: a state, a people, a faith, a season, a company
    "okay ok alright fine great glad happy sad sorry busy ready late early maybe yeah yep nope hi hey right "
    "actually just speaking available retired single married divorced pregnant sick deaf blind disabled "
    "american canadian british english irish scottish welsh french german spanish italian mexican indian "
    "chinese japanese korean australian jewish catholic christian muslim hindu buddhist christmas easter "
    "thanksgiving halloween hanukkah ramadan diwali bank visa mastercard amex paypal netflix amazon apple "
    "google microsoft verizon comcast xfinity spectrum walmart costco chase medicare medicaid unknown none "
    "spam scam likely private anonymous restricted withheld wireless "
)
_NOT_NAMES = frozenset(_COMMON_WORDS.split())  # words that are never a name, whatever their case
# What an extraction model or a carrier's caller-ID name says instead of a name ("None", "Unknown caller", "The
# caller did not provide a name", "Spam Likely"): never a greeting.
_PLACEHOLDER_WORDS = frozenset(
    "none null nil unknown unnamed anonymous caller customer client user name not no provided given the a an "
    "private restricted withheld blocked unavailable spam scam likely potential fraud risk telemarketer "
    "wireless toll free number phone mobile cell did didn't give gave say said mentioned person guest visitor "
    "valued n/a na".split()
)


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def plausible_name(value: str) -> bool:
    words = value.split()
    return (
        0 < len(words) <= 3
        and all(_NAME_WORD.match(word) for word in words)
        and not any(word.lower() in _NOT_NAMES for word in words)
    )


# Characters no one's name is written with: markup or code in a name field ("<img src=x onerror=...>") would be
# greeted ("Hello <Img, welcome back!") and handed to the agent's prompt as the caller's name.
_NOT_IN_NAMES = re.compile(r"[<>{}\[\]=@#$%^*_|~\\/]")


def stands_for_no_name(value: str) -> bool:
    """Whether a name field's value is a placeholder rather than a name: every word a placeholder's, "not said"
    (``says_nothing``), a sentence (more than five words), or markup (a character no name is written with)."""
    words = [word.strip(".,;:!?\"'()").lower() for word in value.split()]
    return (
        not words
        or len(words) > 5
        or all(word in _PLACEHOLDER_WORDS for word in words)
        or says_nothing(value)
        or _NOT_IN_NAMES.search(value) is not None
    )


def _clean(value: str) -> str | None:
    value = " ".join(value.split()).strip(" .,;:!?")
    return value if 0 < len(value) <= 120 else None


def _accept(rule: AutoExtractRule, value: str) -> str | None:
    """A pattern match is kept only if it passes its kind's checks."""
    cleaned = _clean(value)
    if cleaned is None or (rule.kind == "name" and not plausible_name(cleaned)):
        return None
    return cleaned


def _keys(names: Sequence[str]) -> list[str]:
    """The configured field names as a platform's schema may write them (``Caller Name``, ``callerName``)."""
    return list(dict.fromkeys(field_key(name) for name in names))


def _same_person(name: str, other: str) -> bool:
    return name.split()[:1] == other.split()[:1]


def _from_fields(
    names: Sequence[str], memories: Sequence[Memory], refused: Callable[[str], bool] | None = None
) -> str | None:
    """The value of the first field in the configured alias order, from the latest call that gave it: a call's
    ``caller_name`` beats its ``patient_name``, whatever order the fields were stored in, and a later call's
    ``patient_name`` (the caller's son, "Omar Haddad") does not replace the caller's own "Nadia Haddad". A later
    call's value of a later alias does replace it when it is the same first name (a new surname: "Nora Blake")."""
    keys = _keys(names)
    by_call: dict[tuple[datetime, str], tuple[int, str]] = {}  # (call time, call) -> the call's best alias, value
    for memory in memories:
        field = memory.metadata.get("field")
        value = memory.metadata.get("value")
        if not isinstance(field, str) or field_key(field) not in keys or not isinstance(value, str):
            continue
        if value.strip() and not (refused and refused(value)):
            call = (memory.created_at, memory.conversation_id or str(memory.metadata.get("event", "")))
            rank = keys.index(field_key(field))
            if call not in by_call or rank < by_call[call][0]:
                by_call[call] = (rank, " ".join(value.split()))
    best: tuple[int, str] | None = None
    for _, (rank, value) in sorted(by_call.items()):
        if best is not None and part_of_name(keys[rank], value, best[1]):
            continue  # "Magdalena" on a later call keeps "Magdalena Kowalczyk"
        if best is None or rank <= best[0] or _same_person(value.lower(), best[1].lower()):
            best = (rank, value)
    return best[1] if best else None


_SENTENCE = re.compile(r"[^.!?;\n]+")
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)?")
_NEAR = 3  # words between a keyword and the attribute's name: "account status is gold", "on the gold tier"
# whom a clause is about when it is not the caller: "my sister is on the gold tier", "her husband's account is premium"
_SOMEONE_ELSE = PERSON_WORDS - {"parent", "parents", "guardian", "caregiver"}


def _stated_in(text: str, labels: Sequence[str], keywords: Sequence[str]) -> str | None:
    """The keyword a clause of ``text`` states as the attribute: next to its name (at most ``_NEAR`` words away)
    and in a clause about the caller, not about someone the caller mentions ("my sister is on the gold tier"). A
    keyword elsewhere in the sentence is about something else ("a premium text message charge, what tier am I")."""
    label_words = [label.split() for label in labels]
    wanted = [keyword.lower() for keyword in keywords]
    for sentence in _SENTENCE.findall(text.lower()):
        for clause in re.split(r",|\bbut\b|\bwhile\b|\bwhereas\b|\band\b", sentence):
            said = [word.removesuffix("'s").removesuffix("\u2019s") for word in _WORD.findall(clause)]
            if _SOMEONE_ELSE.intersection(said):
                continue
            spans = [
                (start, start + len(label))
                for label in label_words
                for start in range(len(said) - len(label) + 1)
                if said[start : start + len(label)] == label
            ]
            for keyword in wanted:
                for index, word in enumerate(said):
                    if word == keyword and any(
                        start - _NEAR <= index < start or end <= index < end + _NEAR for start, end in spans
                    ):
                        return keyword
    return None


def _from_keywords(rule: AutoExtractRule, names: Sequence[str], memories: Sequence[Memory]) -> str | None:
    """A keyword said about this attribute: in one of its fields' values, or next to its name in a clause about
    the caller ("my account status is gold", "the premium tier"); never a keyword anywhere ("premium" of an
    insurance premium, "my account status is basic, but my husband's account is premium"), nor one said of
    someone else ("my sister is on the gold tier")."""
    labels = [field_label(name).lower() for name in names]
    keys = _keys(names)
    for memory in memories:
        field = memory.metadata.get("field")
        value = memory.metadata.get("value")
        if isinstance(field, str) and field_key(field) in keys and isinstance(value, str):
            for keyword in rule.keywords:
                if re.search(rf"\b{re.escape(keyword.lower())}\b", value.lower()):
                    return keyword
        elif field is None:
            found = _stated_in(memory.text, labels, [keyword.lower() for keyword in rule.keywords])
            if found is not None:
                return next(keyword for keyword in rule.keywords if keyword.lower() == found)
    return None


_POSSESSIVE = re.compile("['\u2019]s\\b")  # an apostrophe or a typographic one


# what a caller says before putting right what they just said: "This is Catherine... no wait, it's Katrin, with a K"
_CORRECTION = re.compile(
    r"\b(?:sorry|no|nope|actually|i mean|i meant|wait|correction|rather|misspoke|scratch that)\b", re.IGNORECASE
)


def _matches(rule: AutoExtractRule, text: str) -> list[tuple[bool, str]]:
    """The names a text gives, in order, each marked when a correction comes before it (since the text's start or the
    name before); one followed by a possessive names someone else ("this is Biscuit's mom")."""
    found: list[tuple[bool, str]] = []
    previous = 0
    for match in sorted((m for p in rule.patterns for m in _compiled(p).finditer(text)), key=lambda m: m.start()):
        if _POSSESSIVE.match(text, match.end("value")):
            continue
        accepted = _accept(rule, match.group("value") or "")
        if accepted:
            found.append((_CORRECTION.search(text, previous, match.start()) is not None, accepted))
            previous = match.end()
    return found


def _from_patterns(rule: AutoExtractRule, memories: Sequence[Memory]) -> str | None:
    """The first accepted match of the newest call that gives one, unless the caller put a name right in that call:
    the name after the correction ("This is Catherine... no wait, it's Katrin"; "Sorry, I misspoke, it's John" in a
    later turn, whichever order the store lists the call's turns in)."""
    first: str | None = None
    call: tuple[datetime, str | None] | None = None
    for memory in memories:
        if call is not None and (memory.created_at, memory.conversation_id) != call:
            break
        for corrected, value in _matches(rule, memory.text):
            if corrected:
                return value
            if first is None:
                first, call = value, (memory.created_at, memory.conversation_id)
    return first


PREFERRED_NAME_FIELDS = frozenset(
    {"preferred_name", "preferred_first_name", "nickname", "nick_name", "goes_by", "called_name", "name_preference"}
)
"""Fields in which a call records what the caller asked to be called ("Aleksandr, call me Sasha")."""


def _first_word(value: object) -> str:
    return value.split()[0].lower() if isinstance(value, str) and value.split() else ""


def preferred_name(memories: Sequence[Memory], caller_name: str) -> str | None:
    """What the caller asked to be called (``PREFERRED_NAME_FIELDS``, the newest call that said it), for the
    greeting: "Hello Sasha", not "Hello Aleksandr". Not once someone else has called from the number: a preferred
    name from a call at or before one that named another caller (a spouse, a child) is not this caller's."""
    current = _first_word(caller_name)
    named = [
        (m.created_at, _first_word(m.metadata.get("value")))
        for m in memories
        if isinstance(m.metadata.get("field"), str) and field_key(str(m.metadata["field"])) in CALLERS
    ]
    given = [
        m
        for m in memories
        if isinstance(m.metadata.get("field"), str)
        and field_key(str(m.metadata["field"])) in PREFERRED_NAME_FIELDS
        and isinstance(m.metadata.get("value"), str)
    ]
    for memory in sorted(given, key=lambda m: m.created_at, reverse=True):
        value = " ".join(str(memory.metadata["value"]).split()).strip(" .,;:!?\"'")
        if not value or stands_for_no_name(value) or len(value.split()) > 3:
            continue
        if any(when >= memory.created_at and first and first != current for when, first in named):
            return None
        return value
    return None


def extract(rules: Mapping[str, AutoExtractRule], memories: Sequence[Memory]) -> dict[str, str]:
    """Every configured attribute, ``""`` when unknown (platforms need every variable present)."""
    found: dict[str, str] = {}
    for name, rule in rules.items():
        names = list(dict.fromkeys([name, *rule.fields]))
        value = _from_fields(names, memories, stands_for_no_name if rule.kind == "name" else None)
        accepted = _clean(value) if value else None  # the platform's own extraction is trusted
        if accepted is None and rule.kind == "keyword":
            accepted = _from_keywords(rule, names, memories)
        if accepted is None and rule.patterns:
            accepted = _from_patterns(rule, memories)
        found[name] = accepted or ""
    return found
