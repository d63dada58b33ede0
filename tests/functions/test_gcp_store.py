"""The Firestore store on the emulator, beyond the shared behaviour suite: what the emulator cannot show by itself
(TTL lag, the indexes the real service demands, batch limits) and the layout under each caller."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from functions.gcp import store as store_module
from functions.gcp.store import (
    BATCH_LIMIT,
    CALLERS,
    MEMORIES,
    UNINDEXED_FIELDS,
    FirestoreMemoryStore,
    document_id,
)
from shared.errors import StoreUnavailable
from shared.memory.models import Memory
from tests.functions.firestore_calls import Calls, declared, firestore_calls, needs_index
from tests.memory.firestore_store import firestore_store

NOW = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
CALLER = "+15555550123"
OTHER = "+15555550199"
AGENT = "support"
TIGHT_SECONDS = 0.1  # a pre-call deadline too short to stream the seeded group in one query


def memory(
    mid: str, *, user: str = CALLER, age_days: float = 1, expires_in_days: float | None = 30, **kw: object
) -> Memory:
    return Memory(
        id=mid,
        user_id=user,
        agent_type=str(kw.pop("agent", AGENT)),
        type=str(kw.pop("kind", "factual")),
        text=str(kw.pop("text", f"Note {mid}")),
        created_at=NOW - timedelta(days=age_days),
        expires_at=None if expires_in_days is None else NOW + timedelta(days=expires_in_days),
        conversation_id=f"conv-{mid}",
        metadata=dict(kw),
    )


@pytest.fixture
def store(request: pytest.FixtureRequest) -> Iterator[FirestoreMemoryStore]:
    made = firestore_store(request)
    yield made
    made.close()


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    with firestore_calls(monkeypatch) as spy:
        yield spy


def test_each_memory_is_a_document_under_its_caller_with_every_field(store: FirestoreMemoryStore) -> None:
    original = memory("m1", age_days=2, source="caller_turn", nested={"a.b": [1, 2]})
    store.add([original])
    raw = store._db().collection(CALLERS).document(CALLER).collection(MEMORIES).document("m1").get().to_dict()
    assert set(raw) == {f.name for f in dataclasses.fields(Memory)}
    (found,) = store.get_all(CALLER, AGENT, now=NOW)
    assert found == original  # every field, datetimes to the microsecond, nested metadata included
    assert type(found.created_at) is datetime and found.created_at.tzinfo is UTC


def test_unsafe_ids_become_hashed_document_ids_and_still_round_trip(store: FirestoreMemoryStore) -> None:
    web_user, odd_id = "web/session/42", "__evt__/7"
    assert document_id(CALLER) == CALLER and "/" not in document_id(web_user) and document_id(odd_id).startswith("~")
    store.add([memory(odd_id, user=web_user)])
    assert [m.id for m in store.get_all(web_user, AGENT, now=NOW)] == [odd_id]
    store.delete(odd_id)
    assert store.erase_user(web_user) == 0


def test_expired_but_not_yet_deleted_documents_are_skipped_page_by_page(store: FirestoreMemoryStore) -> None:
    """TTL deletes lag up to 24 h: the newest documents may all be expired, and a limited read must look past them."""
    expired = [memory(f"x{i}", age_days=0.1 + i / 100, expires_in_days=-0.01) for i in range(5)]
    live = [memory(f"m{i}", age_days=1 + i) for i in range(3)]
    store.add(expired + live)
    assert [m.id for m in store.get_all(CALLER, AGENT, now=NOW, limit=2)] == ["m0", "m1"]
    assert [m.id for m in store.get_all(CALLER, AGENT, now=NOW, limit=1, types=["semantic"])] == []
    assert [m.id for m in store.page(CALLER, AGENT, now=NOW, limit=2, offset=2)] == ["m2"]
    assert store.users(AGENT, now=NOW) == [CALLER]
    assert store.users(AGENT, now=NOW + timedelta(days=31)) == []


def test_a_redelivered_batch_adds_only_what_is_new(store: FirestoreMemoryStore, calls: Calls) -> None:
    assert store.add([memory("m1"), memory("m2")]) == 2
    assert calls.counts["commit"] == 1  # one atomic batch the first time
    assert store.add([memory("m1"), memory("m2"), memory("m3")]) == 1
    assert sorted(m.id for m in store.get_all(CALLER, AGENT, now=NOW)) == ["m1", "m2", "m3"]


def test_adds_and_deletes_are_chunked_to_the_batch_limit(
    store: FirestoreMemoryStore, calls: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Firestore takes at most 500 writes per commit; the chunking is checked at a limit of 5 to stay quick."""
    assert BATCH_LIMIT == 500
    monkeypatch.setattr(store_module, "BATCH_LIMIT", 5)
    many = [memory(f"m{i:04d}", age_days=1 + i / 10_000, expires_in_days=-1 if i % 2 else 30) for i in range(11)]
    assert store.add(many) == 11
    assert calls.counts["commit"] == 3  # 5 + 5 + 1
    calls.reset()
    assert store.delete_expired(NOW) == 5
    assert calls.counts["commit"] == 1
    assert len(store.get_all(CALLER, AGENT, now=NOW)) == 6


def test_erasure_deletes_the_callers_whole_subtree_and_nothing_else(store: FirestoreMemoryStore) -> None:
    store.add([memory("a"), memory("b", agent="sales"), memory("c", user=OTHER)])
    assert store.erase_user(CALLER) == 2
    assert list(store._db().collection(CALLERS).document(CALLER).collections()) == []
    assert store.erase_user(CALLER) == 0
    assert [m.id for m in store.scan(AGENT, now=NOW)] == ["c"]


def test_every_query_the_store_sends_is_served_by_a_declared_index(store: FirestoreMemoryStore, calls: Calls) -> None:
    store.add([memory("a", kind="semantic"), memory("b", user=OTHER), memory("gone", expires_in_days=-1)])
    store.get_all(CALLER, AGENT, now=NOW, limit=1)
    store.get_all(CALLER, AGENT, now=NOW, types=["factual"])
    store.search(CALLER, AGENT, "note", now=NOW, limit=3)
    store.page(CALLER, AGENT, now=NOW, limit=1, offset=1)
    store.users(AGENT, now=NOW)
    list(store.scan(AGENT, now=NOW))
    store.delete("b")
    store.delete_expired(NOW)
    store.erase_user(CALLER)
    needs = [need for need in map(needs_index, calls.queries) if need is not None]
    assert {need.scope for need in needs} == {"COLLECTION", "COLLECTION_GROUP"}
    assert [need for need in needs if not declared(need)] == []


def test_the_index_check_itself_catches_an_undeclared_query(store: FirestoreMemoryStore, calls: Calls) -> None:
    from google.cloud.firestore_v1 import FieldFilter

    group = store._db().collection_group(MEMORIES)
    list(group.where(filter=FieldFilter("type", "==", "factual")).stream())
    list(group.where(filter=FieldFilter("agent_type", "==", AGENT)).order_by("created_at").stream())
    assert "type" in UNINDEXED_FIELDS
    assert [declared(need) for need in map(needs_index, calls.queries) if need] == [False, False]


def test_an_unreachable_database_is_store_unavailable(monkeypatch: pytest.MonkeyPatch, firestore_emulator: str) -> None:
    from tests.gcp_emulators import free_port

    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", f"127.0.0.1:{free_port()}")
    store = FirestoreMemoryStore(project="test-down", database="down", timeout=0.5, write_timeout=0.5)
    with pytest.raises(StoreUnavailable):
        store.get_all(CALLER, AGENT, now=NOW)
    with pytest.raises(StoreUnavailable):
        store.add([memory("m1")])


def test_a_client_that_cannot_be_built_is_store_unavailable() -> None:
    def broken() -> object:
        raise RuntimeError("no credentials")

    store = FirestoreMemoryStore(client_factory=broken)
    with pytest.raises(StoreUnavailable):
        store.get_all(CALLER, AGENT, now=NOW)
    store.close()


def test_the_sweep_analytics_and_reindex_finish_at_any_size_under_the_tight_pre_call_deadline(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reads across callers page through the group, each page under its own deadline, where one query streaming
    the whole group misses the pre-call's (measured: 1.5 s fails at ~6,000 memories on the emulator; here a
    shorter deadline fails at fewer). The per-caller read keeps the tight deadline."""
    from google.cloud.firestore_v1.services.firestore.client import FirestoreClient

    seeded = firestore_store(request)
    store = FirestoreMemoryStore(client=seeded._db(), timeout=TIGHT_SECONDS)
    count = 1200
    callers = [f"+1555555{i:04d}" for i in range(count // 2)]
    store.add(
        [
            memory(f"x{i:05d}", user=callers[i % len(callers)], expires_in_days=-1, text="lorem " * 80)
            for i in range(count)
        ]
    )
    store.add([memory(f"l{i:05d}", user=callers[i % len(callers)], text="lorem " * 80) for i in range(count)])
    deadlines: list[float] = []
    original = FirestoreClient.run_query

    def run_query(self: object, *args: object, **kwargs: object) -> object:
        deadlines.append(float(kwargs["timeout"]))  # type: ignore[arg-type]
        return original(self, *args, **kwargs)

    monkeypatch.setattr(FirestoreClient, "run_query", run_query)
    assert len(list(store.scan(AGENT, now=NOW))) == count
    assert sorted(store.users(AGENT, now=NOW)) == sorted(callers)
    assert store.delete_expired(NOW) == count
    assert store.delete_expired(NOW) == 0
    assert len(deadlines) >= 3 * (count * 2 // store_module.GROUP_PAGE) and min(deadlines) > TIGHT_SECONDS
    deadlines.clear()
    assert len(store.get_all(callers[0], AGENT, now=NOW)) == 2
    assert deadlines == [TIGHT_SECONDS]
    seeded.close()
