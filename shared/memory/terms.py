"""Words for lexical search: lower-cased, stop words (pronouns and the agent's own filler) dropped, light stems.

The stemmer strips a few English suffixes at most twice and two stems match when equal or when one is a prefix
(at least five letters) of the other, so "allergic"/"allergies", "deliver"/"delivery", "pregnant"/"pregnancy"
and "complaint"/"complained" meet, which the Porter stemmer keeps apart; irregular plurals ("teeth") and "dosage"
are read as their base word first (``IRREGULAR``). Pure functions, no state.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD = re.compile(r"[^\W_]+", re.UNICODE)

STOP_WORDS = frozenset(
    """
    a about above after again all also am an and any anything are as at be been before being both but by can
    could did do does doing down during each else ever for from further get got had has have having he her here
    hers herself him himself his how i if in into is it its itself just let me might more most must my myself no
    nor not now of off on once only or other our ours out over own please same she should so some something such
    than that the their theirs them themselves then there these they this those through to too under until up us
    very was we were what whatever when where which while who whom whose why will with would yet you your yours
    yourself s t ll re ve d m much many
    caller callers customer customers client user anyone someone person
    call calls called calling mention mentioned mentions say said tell told know known any ever previous
    previously last latest current currently info information detail details record records remember note noted
    """.split()
)

# Words that pick one among things of a kind (when, which, how often, how much) rather than name a kind: "next
# appointment" asks for the cleaning appointment, "new address" for the delivery address. The ranking never reads
# them as another kind (``shared.memory.ranking.another_kind``); for words they are ordinary content.
SELECTORS = frozenset(
    """
    new old next upcoming future past recent recently earlier later first second third final initial original prior
    former existing ongoing pending scheduled today tomorrow tonight yesterday daily weekly monthly yearly annual
    annually quarterly main primary secondary usual normal regular standard typical preferred favorite favourite best
    top exact full total whole entire overall general special extra additional another same different specific
    particular own few several remaining outstanding approximate estimated expected agreed quoted actual real now soon
    """.split()
)

# Words the stop words leave in (they weigh as words) that relate or qualify and never name a kind: prepositions
# ("nervousness around dryers" asks about no other kind of "loud dryers") and adverbs or a verb's helpers ("when is he
# getting fitted", "still owed"). ``shared.memory.ranking.another_kind`` never reads them as a kind.
NEVER_A_KIND = frozenset(
    """
    across against along among amongst around behind below beneath beside besides between beyond despite except
    inside near onto outside per since throughout till toward towards underneath upon via within without
    still getting gets really even already usually always never often sometimes ago almost quite rather
    """.split()
)

# What a caller says to keep the conversation going, not about anything: with the stop words, a turn made only of
# these ("Okay, thank you so much.", "Uh, hold on a second.", "Can you hear me?") is small talk.
SMALL_TALK = frozenset(
    """
    yeah yep yup yes yea ya okay ok kay alright right sure fine great good perfect cool awesome wonderful lovely nice
    excellent fantastic thanks thank thankyou appreciate welcome hello hi hey bye goodbye uh um umm uhm er erm ah oh
    mm mmm hm mhm hmm huh uhh wow sorry pardon excuse hold sec second moment wait hang hear see understand sounds
    exactly absolutely definitely totally correct nope nah gotcha
    """.split()
)

# A question about the caller in general rather than a thing ("caller history", "any notes on this customer", "what
# happened on the last call"): its words are stop words and these, with one about the whole record, or a time
# with calls or conversations.
_RECORD = frozenset(
    """history histories interaction interactions conversation conversations summary summaries profile background
    overview everything anything happened notes know""".split()
)
_EARLIER = frozenset("previous past prior last recent recently earlier before".split())
_CALLS = frozenset("call calls conversation conversations time times".split())
_GENERAL = _RECORD | _EARLIER | _CALLS | frozenset("note reason why discuss discussed talk talked spoke".split())

# Longest first; a suffix is stripped only when at least MIN_STEM letters remain.
_SUFFIXES = (
    "ically",
    "ations",
    "ation",
    "ities",
    "ingly",
    "ments",
    "ances",
    "ences",
    "ness",
    "ment",
    "ance",
    "ancy",
    "ence",
    "ency",
    "ings",
    "ical",
    "ants",
    "ents",
    "ying",
    "ity",
    "ing",
    "age",
    "ant",
    "ent",
    "ies",
    "ied",
    "ers",
    "ive",
    "ous",
    "ic",
    "er",
    "ed",
    "ly",
    "al",
    "y",
    "e",
)
MIN_STEM = 3
MIN_PREFIX = 5
_ENDINGS = tuple(set(_SUFFIXES))
_LENGTHS = sorted({len(s) for s in _SUFFIXES}, reverse=True)  # longest suffix first
_BY_LENGTH = {n: frozenset(s for s in _SUFFIXES if len(s) == n) for n in _LENGTHS}


def _strip_accents(text: str) -> str:
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _plural(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


# Forms no suffix rule reaches, each read as its base word: irregular plurals ("my teeth" for "tooth pain") and
# "dosage", which is "dose". Irregular verbs ("flew", "ate", "chose") were measured too and lost as many answers as
# they found (docs/recall-evaluation.md).
IRREGULAR = {
    form: base
    for base, forms in {
        "tooth": "teeth",
        "foot": "feet",
        "wife": "wives",
        "knife": "knives",
        "mouse": "mice",
        "woman": "women",
        "man": "men",
        "goose": "geese",
        "shelf": "shelves",
        "half": "halves",
        "dose": "dosage dosages",
    }.items()
    for form in forms.split()
}

_LONGER_STEM = frozenset({"age", "ance", "ancy"})


def _may_cut(word: str, n: int) -> bool:
    """At least MIN_STEM letters stay. "-age" and "-ance" leave a word of their own ("storage" store, "coverage"
    cover, "insurance" insur), not a short one ("manage"; "finance" keeps "financ", as "financing" does) or, for
    "-age", one ending in "ss" ("message", "massage"). "-ence" may leave three: "absence" meets "absent"."""
    left = len(word) - n
    if word[left:] in _LONGER_STEM:
        return left > MIN_STEM and not (n == 3 and word[:left].endswith("ss"))
    return left >= MIN_STEM


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """A crude English stem; numbers and short words stay as they are. Cached: callers reuse their words."""
    word = IRREGULAR.get(word, word)
    if len(word) <= MIN_STEM or not word.isalpha():
        return word
    word = _plural(word)
    for _ in range(2):
        if not word.endswith(_ENDINGS):
            break
        cut = next((n for n in _LENGTHS if word[-n:] in _BY_LENGTH[n] and _may_cut(word, n)), 0)
        if not cut:
            break
        word = word[:-cut]
    return word


def words(text: str) -> list[str]:
    """Lower-cased words without accents or punctuation ("Irina's" is "irina" and "s")."""
    return list(_words(text))


@lru_cache(maxsize=16_384)
def _words(text: str) -> tuple[str, ...]:
    """``words``, kept: a search reads each memory's words three times (one copy, BM25, word against word), and on a
    caller never searched before this is most of the ranking's time."""
    return tuple(_WORD.findall(_strip_accents(text.lower())))


@lru_cache(maxsize=16_384)
def terms(text: str) -> tuple[str, ...]:
    """The stems of a text's meaningful words, in order, repeats kept (cached: a call searches the same caller's
    memories several times)."""
    return tuple(stem(w) for w in words(text) if w not in STOP_WORDS and (len(w) > 1 or w.isdigit()))


@lru_cache(maxsize=16_384)
def small_talk(text: str) -> bool:
    """Whether a caller's turn says nothing that could answer a question: only stop words and small talk."""
    return all(w in STOP_WORDS or w in SMALL_TALK for w in _words(text))


def about_the_caller(query: str) -> bool:
    """Whether a question asks about the caller in general ("caller history", "why did she call last time")."""
    said = set(_words(query))
    if not said or not said <= STOP_WORDS | _GENERAL:
        return False
    return bool(said & _RECORD) or bool(said & _EARLIER and said & _CALLS)


def query_terms(query: str, limit: int = 16) -> list[str]:
    """A query's distinct stems; if it is all stop words, its distinct words (never nothing for a real query)."""
    found = list(dict.fromkeys(terms(query)))
    if not found:
        found = list(dict.fromkeys(stem(w) for w in words(query)))
    return found[:limit]


def related(a: str, b: str) -> bool:
    """Whether two stems are the same word: equal, or one a long enough prefix of the other."""
    if a == b:
        return True
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= MIN_PREFIX and long.startswith(short)
