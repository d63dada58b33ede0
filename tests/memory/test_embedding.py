"""The bundled static model: pure-Python WordPiece, vectors written once by the worker, never on the pre-call path."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shared.config.models import MemoryConfig
from shared.memory.embedding import (
    Similarities,
    embed,
    embed_query,
    is_current,
    model,
    word_similarity,
    word_vector,
)
from shared.memory.manager import MemoryManager
from shared.memory.models import Memory
from shared.memory.sqlite import SqliteMemoryStore
from shared.memory.vectors import cosine, generation, pack
from shared.memory.wordpiece import basic_words, tokenize
from tests.conftest import elevenlabs_post_call, sign_elevenlabs

REPO = Path(__file__).resolve().parents[2]
NOW = datetime.now(UTC)
EMBEDDING_MODULES = {"shared.memory.embedding", "shared.memory.wordpiece", "shared.memory.synonyms"}


def test_basic_tokenizer_splits_like_bert_uncased() -> None:
    assert basic_words("Irina's café, 12,500!") == ["irina", "'", "s", "cafe", ",", "12", ",", "500", "!"]
    vocab = {"shell": 0, "##fish": 1, "dog": 2}
    assert tokenize("Shellfish dog zzz", vocab) == [0, 1, 2]  # a word it cannot spell is left out


def test_the_bundled_model_places_meaning_near_meaning() -> None:
    loaded = model()
    assert loaded.dimensions == 256 and len(loaded.vocab) > 20_000
    pet, dog, limit = (embed_query(t) for t in ("pet", "my dog Biscuit", "credit limit: 8000"))
    assert pet is not None and dog is not None and limit is not None
    assert cosine(pet, dog) > cosine(pet, limit) + 0.2
    assert embed(["", "zzzzqqqq" * 20]) == [None, None]


def _memory(mid: str, text: str) -> Memory:
    return Memory(mid, "+15555550123", "support", "factual", text, NOW - timedelta(days=1), NOW + timedelta(days=9))


def test_old_memories_get_vectors_on_first_search_and_keep_them(tmp_path: Path) -> None:
    store = SqliteMemoryStore(tmp_path / "m.db")
    store.add([_memory("m1", "My dog Biscuit barks at couriers"), _memory("m2", "Lives at 4 Elm Road")])
    assert all(m.vector is None for m in store.get_all("+15555550123", "support", now=NOW))
    manager = MemoryManager(store, "support", MemoryConfig())
    assert manager.search("+15555550123", "does the caller have a pet")[0].memory.id == "m1"
    assert all(m.vector for m in store.get_all("+15555550123", "support", now=NOW))


def test_an_older_models_vectors_are_computed_again_on_first_search(tmp_path: Path) -> None:
    store = SqliteMemoryStore(tmp_path / "m.db")
    stale = pack([1.0] * model().dimensions)[1:]  # the first model's format: no generation byte
    store.add([replace(_memory("m1", "My dog Biscuit barks at couriers"), vector=stale)])
    assert not is_current(store.get_all("+15555550123", "support", now=NOW)[0].vector)
    manager = MemoryManager(store, "support", MemoryConfig())
    assert [s.memory.id for s in manager.search("+15555550123", "does the caller have a pet")] == ["m1"]
    kept = store.get_all("+15555550123", "support", now=NOW)[0].vector
    assert kept is not None and generation(kept) == model().generation and is_current(kept)


def test_word_similarity_knows_related_words() -> None:
    assert word_similarity("spouse", "husband") > word_similarity("spouse", "router") + 0.2
    assert word_similarity("spouse", "zzzzqqqq" * 20) == 0.0


def test_word_similarities_are_kept_per_question_word_up_to_their_capacity() -> None:
    kept = Similarities(capacity=5)
    found = kept("spouse", ["wife", "husband", "router"])
    spouse, wife = word_vector("spouse"), word_vector("wife")
    assert spouse is not None and wife is not None and found["wife"] == cosine(spouse, wife)
    kept("pet", ["dog", "cat"])
    assert len(kept) == 5
    kept("spouse", ["wife"])  # asked again: now the most recent
    kept("limit", ["credit"])  # one pair too many: the least recently asked word's pairs go
    assert len(kept) == 4 and kept.words() == ["spouse", "limit"]
    assert kept("pet", ["dog"])["dog"] == word_similarity("pet", "dog")  # computed again, the same


def test_one_word_with_more_pairs_than_the_capacity_is_answered_and_not_kept() -> None:
    kept = Similarities(capacity=3)
    kept("pet", ["dog"])
    found = kept("spouse", ["wife", "husband", "partner", "router"])
    assert set(found) == {"wife", "husband", "partner", "router"} and found["wife"] > found["router"]
    assert len(kept) == 0 and kept.words() == []


def test_word_similarities_count_what_they_keep_when_threads_share_them() -> None:
    kept = Similarities(capacity=40)
    words = ["spouse", "wife", "dog", "pet", "limit", "credit", "router", "modem", "rent", "lease"]

    def ask(offset: int) -> None:
        for n in range(200):
            kept(words[(n + offset) % len(words)], words[(n * 3 + offset) % len(words) :])

    threads = [threading.Thread(target=ask, args=(offset,)) for offset in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(kept) == sum(len(kept(word, ())) for word in kept.words()) <= 40


def test_semantic_search_off_computes_no_vector_and_still_finds_words(tmp_path: Path) -> None:
    store = SqliteMemoryStore(tmp_path / "m.db")
    manager = MemoryManager(store, "support", MemoryConfig(semantic_search=False))
    manager.add([_memory("m1", "My dog Biscuit barks at couriers")])
    assert store.get_all("+15555550123", "support", now=NOW)[0].vector is None
    assert [s.memory.id for s in manager.search("+15555550123", "Biscuit the dog")] == ["m1"]
    assert manager.search("+15555550123", "does the caller have a pet") == []


def test_the_worker_stores_a_vector_with_every_memory(local_runtime: Any) -> None:
    local = local_runtime()
    body = json.dumps(elevenlabs_post_call()).encode()
    assert local.call("POST", "/post-call", body, {"ElevenLabs-Signature": sign_elevenlabs(body)}).status == 200
    local.drain()
    stored = local.runtime.store.get_all("+15555550123", "elevenlabs_customer_support", now=NOW)
    assert stored and all(m.vector and len(m.vector) == 513 and is_current(m.vector) for m in stored)


_PROBE = """
import json, sys
from pathlib import Path
from tests.conftest import CALLER, TEST_SECRETS, make_local_runtime, elevenlabs_post_call, sign_elevenlabs
data = Path(sys.argv[1])
local = make_local_runtime(data, "elevenlabs_customer_support")
if sys.argv[2] == "seed":
    body = json.dumps(elevenlabs_post_call()).encode()
    local.call("POST", "/post-call", body, {"ElevenLabs-Signature": sign_elevenlabs(body)})
    local.drain()
    raise SystemExit(0)
headers = {"x-workspace-key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}
answer = local.call("POST", "/client-data", {"caller_id": CALLER, "agent_id": "a"}, headers)
before = sorted(m for m in sys.modules if m.startswith("shared.memory."))
found = local.call("POST", "/retrieve", {"query": "what is the pet called", "user_id": CALLER}, headers)
after = sorted(m for m in sys.modules if m.startswith("shared.memory."))
print(json.dumps({"pre_call": json.loads(answer.body), "before": before, "after": after,
                  "found": json.loads(found.body)}))
"""


def test_the_pre_call_path_imports_no_embedding_code(tmp_path: Path) -> None:
    def run(mode: str) -> str:
        code = textwrap.dedent(_PROBE)
        done = subprocess.run(
            [sys.executable, "-c", code, str(tmp_path / "data"), mode], cwd=REPO, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    run("seed")
    probe = json.loads(run("probe"))
    assert probe["pre_call"]["dynamic_variables"]["returning_caller"] == "yes"
    assert EMBEDDING_MODULES.isdisjoint(probe["before"])
    assert set(probe["after"]) >= EMBEDDING_MODULES  # the probe can see the model load: /retrieve loads it
    assert "Biscuit" in probe["found"]["result"]
