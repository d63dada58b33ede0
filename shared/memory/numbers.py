"""Numbers as a caller says them, written as digits: "forty-four" is "44", "a thousand" is "1000", "112,000" is
"112000". Callers' turns spell numbers out while fields and summaries use digits; comparing a field's value with
what a memory says needs both in one form. Pure functions over the words of ``shared.memory.terms.words``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from shared.memory.terms import words

_SMALL = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen".split()
    )
}
_TENS = {
    word: 10 * (index + 2) for index, word in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())
}
_SCALES = {"thousand": 1_000, "million": 1_000_000}
_GROUPED = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_CURRENCY = re.compile(r"([$€£])\s?(\d[\d.]*)")
_CURRENCY_WORDS = {"$": "dollars", "€": "euros", "£": "pounds"}
_WHOLE_HOUR = re.compile(r"\b(\d{1,2}):00\b")  # "3:00 PM" is said "three", "3 pm": its ":00" is never said

# Words that count rather than describe: "five days" is a number of days, not a kind of day.
NUMBER_WORDS = frozenset(_SMALL) | frozenset(_TENS) | frozenset(_SCALES) | {"hundred", "dozen", "couple", "half"}
_SPOKEN = frozenset(_SMALL) | frozenset(_TENS) | frozenset(_SCALES) | {"hundred"}  # the words ``as_digits`` reads


@lru_cache(maxsize=16_384)
def digit_words(text: str) -> tuple[str, ...]:
    """The words of ``text`` with every spoken number, and every number written with thousands commas, as digits;
    an amount in a currency sign reads as said ("$25" is "25 dollars"), and a whole hour as said ("3:00" is "3")."""
    plain = _WHOLE_HOUR.sub(r"\1", _GROUPED.sub("", text))
    plain = _CURRENCY.sub(lambda m: f"{m.group(2)} {_CURRENCY_WORDS[m.group(1)]}", plain)
    return tuple(as_digits(words(plain)))


_CENTURIES = {"nineteen": 19, "twenty": 20}


def _year(tokens: Sequence[str], index: int) -> tuple[str, int] | None:
    """A year said the way people say one, from ``tokens[index]`` -> (its digits, how many words it took):
    "nineteen eighty-four", "twenty seventeen", "twenty twenty-two", "twenty oh five". Not "twenty one" (21), nor
    "twenty, thirty minutes": after "twenty" only a teen or "twenty" again starts a year's last two digits."""
    century = _CENTURIES.get(tokens[index])
    rest = tokens[index + 1 : index + 4]
    if century is None or not rest:
        return None
    first = rest[0]
    following = rest[1] if len(rest) > 1 else ""
    if first == "oh" and 0 < _SMALL.get(following, 0) < 10:
        return f"{century}0{_SMALL[following]}", 3
    if _SMALL.get(first, 0) >= 10 and (century == 19 or first != "ten" or following not in _SMALL):
        return f"{century}{_SMALL[first]}", 2
    if first in _TENS and (century == 19 or first == "twenty"):
        unit = _SMALL.get(following, 10)
        return (f"{century}{_TENS[first] + unit}", 3) if unit < 10 else (f"{century}{_TENS[first]}", 2)
    return None


def as_digits(tokens: Sequence[str]) -> list[str]:
    """Runs of number words as one digit string each ("twenty", "five" -> "25"; "twelve", "hundred" -> "1200");
    a new run starts where the words could not continue one number ("nine", "zero", "five" -> "9", "0", "5"). A
    year reads as one ("twenty seventeen" -> "2017", ``_year``)."""
    if _SPOKEN.isdisjoint(tokens):  # most texts: nothing to read
        return list(tokens)
    if not _CENTURIES.keys().isdisjoint(tokens):
        years: list[str] = []
        index = 0
        while index < len(tokens):
            year = _year(tokens, index)
            years.append(year[0] if year else tokens[index])
            index += year[1] if year else 1
        tokens = years
    out: list[str] = []
    total = current = 0
    last: str | None = None  # kind of the previous number word: small, ten, hundred, scale

    def flush() -> None:
        nonlocal total, current, last
        if last is not None:
            out.append(str(total + current))
        total = current = 0
        last = None

    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        if token == "a" and last is None and (following == "hundred" or following in _SCALES):
            continue  # "a thousand"
        if token == "and" and last in ("hundred", "scale") and (following in _SMALL or following in _TENS):
            continue  # "one hundred and five"
        if token in _SMALL:
            if last not in (None, "ten", "hundred", "scale") or (last == "ten" and _SMALL[token] >= 10):
                flush()
            if _SMALL[token] == 0 and last is not None:
                flush()
            current += _SMALL[token]
            last = "small"
        elif token in _TENS:
            if last not in (None, "hundred", "scale"):
                flush()
            current += _TENS[token]
            last = "ten"
        elif token == "hundred":
            if last not in (None, "small", "ten"):
                flush()
            current = (current or 1) * 100
            last = "hundred"
        elif token in _SCALES:
            if last == "scale":
                flush()
            total += (current or 1) * _SCALES[token]
            current = 0
            last = "scale"
        else:
            flush()
            out.append(token)
    flush()
    return out


SPELT_DIGITS = 3  # a run this long of single digits is one number said digit by digit; shorter is "two or three"


def spelt_numbers(said: Sequence[str]) -> set[str]:
    """The numbers a caller says digit by digit, joined ("two two nine one" -> "2291", "oh one four" -> "014"):
    codes, IDs and order numbers, which a field writes as "VR-2291". ``said``: the words of ``digit_words``."""
    found: set[str] = set()
    run: list[str] = []
    for word in (*said, ""):
        if (len(word) == 1 and word.isdigit()) or (word == "oh" and run):
            run.append("0" if word == "oh" else word)
            continue
        if len(run) >= SPELT_DIGITS:
            found.add("".join(run))
        run = [] if word != "oh" else ["0"]
    return found
