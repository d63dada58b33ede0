"""WordNet's first senses beside the static model: rare words the model misses ("guarantee" for "warranty")."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.config.models import MemoryConfig
from shared.memory import synonyms
from shared.memory.embedding import _cosines, word_similarity
from shared.memory.manager import MemoryManager
from shared.memory.models import Memory
from shared.memory.sqlite import SqliteMemoryStore

NOW = datetime.now(UTC)
CALLER = "+15555550123"


@pytest.mark.parametrize(
    ("asked", "said"),
    [
        ("guarantee", "warranty"),
        ("commode", "toilet"),
        ("misplace", "lost"),  # the memory's word is looked up under its base: lost -> lose
        ("misplaced", "lose"),  # and so is the question's: misplaced -> misplace
        ("died", "passed"),
        ("renter", "tenant"),
        ("gifted", "gift"),  # one lemma in two forms
        ("carpentry", "carpenter"),  # a form WordNet derives from the word in that sense
        ("nervousness", "nervous"),
    ],
)
def test_words_of_one_first_sense_meet(asked: str, said: str) -> None:
    assert synonyms.same_sense(asked, said)


@pytest.mark.parametrize(
    ("asked", "said"),
    [
        ("toilet", "commode"),  # a toilet is first a room; only the question word's first sense counts
        ("commode", "drawers"),  # commode's second sense, a chest of drawers, is left out
        ("guarantee", "router"),
        ("warranty", "warranty"),  # the same word is the model's and the words' business, not a synonym
        ("zzzzqqqq", "toilet"),
    ],
)
def test_other_senses_and_unrelated_words_do_not(asked: str, said: str) -> None:
    assert not synonyms.same_sense(asked, said)


def test_the_model_alone_rates_them_low_and_the_table_raises_them() -> None:
    from shared.memory.embedding import model
    from shared.memory.vectors import cosine

    guarantee, warranty = model().vector("guarantee"), model().vector("warranty")
    assert guarantee is not None and warranty is not None and cosine(guarantee, warranty) < synonyms.SIMILARITY - 0.2
    assert _cosines("guarantee", ["warranty"])["warranty"] == synonyms.SIMILARITY
    assert word_similarity("spouse", "husband") > synonyms.SIMILARITY  # the model's higher cosine stays


def test_a_question_in_a_rare_word_finds_the_memory_in_its_synonym(tmp_path: Path) -> None:
    texts = {
        "warranty": "Her fridge warranty runs out in June.",
        "visit": "The technician is booked for Friday morning between eight and noon.",
        "part": "The part is delayed again, so the repair moved to Friday.",
        "address": "She moved to 4 Elm Road last spring.",
    }
    store = SqliteMemoryStore(tmp_path / "m.db")
    created, expires = NOW - timedelta(days=3), NOW + timedelta(days=30)
    store.add([Memory(key, CALLER, "support", "factual", text, created, expires) for key, text in texts.items()])
    manager = MemoryManager(store, "support", MemoryConfig())
    found = manager.search(CALLER, "guarantee")
    assert found and found[0].memory.id == "warranty"  # without the table, nothing passes


def test_the_table_keeps_wordnets_licence_and_is_read_only_when_asked() -> None:
    head = gzip.decompress(synonyms.TABLE.read_bytes()).decode("utf-8").splitlines()[:4]
    assert any("WordNet 3.0 Copyright 2006 by Princeton University" in line for line in head)
    senses, irregular = synonyms._table()
    assert "toilet" in senses["commode"].split() and irregular["pried"] == "pry"
