"""Words that WordNet gives one sense: what the bundled static model misses for rarer words.

A static model learns a word from the company it keeps, so a rare word's vector is poor: "guarantee" and "warranty",
"misplace" and "lose", "commode" and "toilet" all sit under the ranking's word floor. WordNet 3.0 lists them in one
synset. Only the question word's first sense counts (the most frequent; "commode" is a toilet before it is a chest of
drawers), with the forms WordNet derives from the word in that sense ("carpentry": carpenter), and only one-word
lemmas; measured on benchmarks/recall/ (docs/recall.md), further senses or the senses
one level up or down lost more answers than they found. The table (shared/memory/model/synonyms.txt.gz, made by
scripts/build_synonyms.py, WordNet's licence at its top) is read on the first search, never on the pre-call path.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

TABLE = Path(__file__).with_name("model") / "synonyms.txt.gz"
SIMILARITY = 0.8  # how alike two words of one WordNet sense count, against the model's cosine (word floor 0.5)

# WordNet's detachment rules (its "morphy"), every part of speech at once: a base counts only if the table knows it
_ENDINGS = (
    ("ies", "y"),
    ("ses", "s"),
    ("xes", "x"),
    ("zes", "z"),
    ("ches", "ch"),
    ("shes", "sh"),
    ("men", "man"),
    ("es", "e"),
    ("es", ""),
    ("s", ""),
    ("ed", "e"),
    ("ed", ""),
    ("ing", "e"),
    ("ing", ""),
    ("er", ""),
    ("er", "e"),
    ("est", ""),
    ("est", "e"),
)


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, str], dict[str, str]]:
    """word -> its first senses' other words (one string, split when asked); irregular form -> base."""
    lines = gzip.decompress(TABLE.read_bytes()).decode("utf-8").splitlines()
    senses = dict(line.split(" ", 1) for line in lines if line[0] not in "#=")
    irregular = dict(line[1:].split(" ", 1) for line in lines if line[0] == "=")
    return senses, irregular


@lru_cache(maxsize=65_536)
def forms(word: str) -> tuple[str, ...]:
    """The word and the bases WordNet could list it under ("pried": pry; "misplaced": misplace, misplac)."""
    found = [word]
    base = _table()[1].get(word)
    if base is not None:
        found.append(base)
    for ending, replacement in _ENDINGS:
        if word.endswith(ending) and len(word) > len(ending) + 1:
            found.append(word[: -len(ending)] + replacement)
    return tuple(dict.fromkeys(found))


@lru_cache(maxsize=16_384)
def of(word: str) -> frozenset[str]:
    """The words of a question word's first senses and the bases it is listed under, empty if WordNet has none. Every
    form that WordNet lists counts ("gifted": the adjective gifted and the verb gift; "died": die), so a memory saying
    the base ("gift") meets the question's inflected word."""
    senses = _table()[0]
    looked_up = [base for base in forms(word) if base in senses]
    return frozenset(" ".join(senses[base] for base in looked_up).split()).union(looked_up)


def same_sense(word: str, other: str) -> bool:
    """Whether ``other`` (or its base) is a word of ``word``'s first sense. Not symmetric: the question's word leads."""
    found = of(word)
    return bool(found) and word != other and any(form in found for form in forms(other))
