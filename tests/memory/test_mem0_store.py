"""The mem0 backend keeps every ``MemoryStore`` promise (docstrings of ``shared.memory.store``), against the fake."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.errors import NotFound, StoreUnavailable, Unprocessable
from shared.memory import mem0
from shared.memory import mem0_codec as codec
from shared.memory.mem0 import Mem0MemoryStore
from shared.memory.models import Memory
from shared.secrets import Secret
from tests.fakes import API_KEY, FakeMem0Server

NOW = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
CALLER = "+15555550123"
OTHER = "+15555550199"


def memory(
    mid: str, text: str, *, user: str = CALLER, agent: str = "support", kind: str = "factual", **kw: object
) -> Memory:
    base = {"created_at": NOW - timedelta(days=1)}
    base.update(kw)
    return Memory(id=mid, user_id=user, agent_type=agent, type=kind, text=text, **base)  # type: ignore[arg-type]


@pytest.fixture
def server() -> Iterator[FakeMem0Server]:
    with FakeMem0Server(today=lambda: NOW.date()) as fake:
        yield fake


@pytest.fixture
def store(server: FakeMem0Server) -> Iterator[Mem0MemoryStore]:
    backend = Mem0MemoryStore(Secret(API_KEY), server.url, read_timeout=2.0, write_timeout=5.0, poll_interval=0.01)
    yield backend
    backend.close()


def test_add_is_idempotent_by_memory_id(store: Mem0MemoryStore, server: FakeMem0Server) -> None:
    batch = [memory("ev1:0", "Prefers afternoon appointments"), memory("ev1:1", "Name is Dana")]
    assert store.add(batch) == 2
    assert store.add(batch) == 0
    assert store.add([*batch, memory("ev2:0", "Owns a blue bicycle")]) == 1
    assert len(server.memories()) == 3
    assert len(server.requests_to("POST", "/v3/memories/add/")) == 3


def test_add_twice_in_one_batch_counts_once(store: Mem0MemoryStore) -> None:
    assert store.add([memory("a", "one"), memory("a", "one")]) == 1
    assert [m.id for m in store.get_all(CALLER, "support", now=NOW)] == ["a"]


def test_round_trip_keeps_every_field(store: Mem0MemoryStore) -> None:
    original = memory(
        "ev1:0",
        "Prefers afternoon appointments",
        kind="preference",
        expires_at=NOW + timedelta(days=30),
        conversation_id="conv-1",
        metadata={"source": "summary", "confidence": 0.9},
    )
    store.add([original])
    assert store.get_all(CALLER, "support", now=NOW) == [original]


def test_get_all_newest_first_with_types_and_limit(store: Mem0MemoryStore) -> None:
    store.add(
        [
            memory("old", "old fact", created_at=NOW - timedelta(days=3)),
            memory("new", "new fact", created_at=NOW - timedelta(hours=1)),
            memory("lead", "wants a quote", kind="lead", created_at=NOW - timedelta(days=2)),
        ]
    )
    assert [m.id for m in store.get_all(CALLER, "support", now=NOW)] == ["new", "lead", "old"]
    assert [m.id for m in store.get_all(CALLER, "support", now=NOW, types=["factual"])] == ["new", "old"]
    assert [m.id for m in store.get_all(CALLER, "support", now=NOW, types=["lead", "factual"], limit=2)] == [
        "new",
        "lead",
    ]
    assert store.get_all(CALLER, "support", now=NOW, types=[]) == []


def test_expired_memories_are_never_returned(store: Mem0MemoryStore) -> None:
    # expires later today: Mem0's day-granular expiration_date still shows it, the store must not
    store.add(
        [
            memory("gone", "expired this morning about tea", expires_at=NOW - timedelta(hours=1)),
            memory("edge", "expires exactly now about tea", expires_at=NOW),
            memory("live", "still valid about tea", expires_at=NOW + timedelta(hours=1)),
        ]
    )
    assert [m.id for m in store.get_all(CALLER, "support", now=NOW)] == ["live"]
    assert [s.memory.id for s in store.search(CALLER, "support", "tea", now=NOW, limit=5)] == ["live"]


def test_search_best_first_and_scoped(store: Mem0MemoryStore) -> None:
    store.add(
        [
            memory("m1", "Prefers afternoon appointments on Tuesday"),
            memory("m2", "Asked about afternoon appointments"),
            memory("m3", "Owns a blue bicycle"),
            memory("x1", "afternoon appointments for another caller", user=OTHER),
            memory("x2", "afternoon appointments in sales", agent="sales"),
        ]
    )
    found = store.search(CALLER, "support", "afternoon appointments Tuesday", now=NOW, limit=5)
    assert [s.memory.id for s in found] == ["m1", "m2"]
    assert found[0].score >= found[1].score > 0
    assert [s.memory.id for s in store.search(CALLER, "support", "appointments", now=NOW, limit=1)] and len(
        store.search(CALLER, "support", "appointments", now=NOW, limit=1)
    ) == 1
    assert store.search(CALLER, "support", "   ", now=NOW, limit=5) == []
    assert store.search(CALLER, "support", "appointments", now=NOW, limit=5, types=["lead"]) == []


def test_agent_types_and_callers_never_see_each_other(store: Mem0MemoryStore) -> None:
    store.add([memory("s", "support note"), memory("l", "sales note", agent="sales"), memory("o", "x", user=OTHER)])
    assert [m.id for m in store.get_all(CALLER, "support", now=NOW)] == ["s"]
    assert [m.id for m in store.get_all(CALLER, "sales", now=NOW)] == ["l"]
    assert [m.id for m in store.get_all(OTHER, "support", now=NOW)] == ["o"]
    assert store.search(CALLER, "sales", "support", now=NOW, limit=5) == []


def test_delete_one_and_not_found(store: Mem0MemoryStore) -> None:
    store.add([memory("a", "first"), memory("b", "second")])
    store.delete("a")
    assert [m.id for m in store.get_all(CALLER, "support", now=NOW)] == ["b"]
    with pytest.raises(NotFound):
        store.delete("a")


def test_erase_user_everywhere_and_only_them(store: Mem0MemoryStore, server: FakeMem0Server) -> None:
    store.add([memory("s", "support"), memory("l", "sales", agent="sales"), memory("o", "other", user=OTHER)])
    assert store.erase_user(CALLER) == 2
    assert store.get_all(CALLER, "support", now=NOW) == []
    assert store.get_all(CALLER, "sales", now=NOW) == []
    assert [m.id for m in store.get_all(OTHER, "support", now=NOW)] == ["o"]
    assert [m["user_id"] for m in server.memories()] == [OTHER]
    assert store.erase_user(CALLER) == 0


def test_erase_repeats_until_mem0_lists_nothing(store: Mem0MemoryStore, server: FakeMem0Server) -> None:
    store.add([memory(f"m{i}", f"fact {i}") for i in range(3)])
    server.delete_all_limit = 1  # mem0#4957: one delete_all call removed only part of the matches
    assert store.erase_user(CALLER) == 3
    assert server.memories() == []
    assert len(server.requests_to("DELETE", "/v1/memories/")) == 3
    assert server.requests_to("DELETE", "/v2/entities/user/%2B15555550123/")


@pytest.mark.parametrize("bad", ["", "   ", "*", "+1555*"])
def test_erase_refuses_ids_that_mean_everyone(store: Mem0MemoryStore, server: FakeMem0Server, bad: str) -> None:
    store.add([memory("a", "keep me")])
    server.clear_requests()
    with pytest.raises(Unprocessable):
        store.erase_user(bad)
    assert not [r for r in server.requests if r.method == "DELETE"]
    assert len(server.memories()) == 1


def test_delete_expired_deletes_for_real(store: Mem0MemoryStore, server: FakeMem0Server) -> None:
    store.add(
        [
            memory("past", "a", expires_at=NOW - timedelta(days=2)),
            memory("now", "b", expires_at=NOW),
            memory("later_today", "c", expires_at=NOW + timedelta(hours=2)),
            memory("forever", "d"),
            memory("other", "e", user=OTHER, agent="sales", expires_at=NOW - timedelta(seconds=1)),
        ]
    )
    server.seed({"user_id": CALLER, "memory": "written by another tool", "expiration_date": "2020-01-01"})
    assert store.delete_expired(NOW) == 3
    left = sorted((m["metadata"] or {}).get("memory_id", "foreign") for m in server.memories())
    assert left == ["foreign", "forever", "later_today"]
    assert store.delete_expired(NOW) == 0


def test_foreign_mem0_items_are_ignored_on_reads(store: Mem0MemoryStore, server: FakeMem0Server) -> None:
    server.seed({"user_id": CALLER, "memory": "no metadata of ours", "metadata": {"agent_type": "support"}})
    store.add([memory("a", "ours")])
    assert [m.id for m in store.get_all(CALLER, "support", now=NOW)] == ["a"]


def test_duplicates_left_by_a_race_collapse_on_read(store: Mem0MemoryStore, server: FakeMem0Server) -> None:
    store.add([memory("a", "tea lover")])
    twin = dict(server.memories()[0])
    twin.pop("id")
    server.seed(twin)
    assert [m.id for m in store.get_all(CALLER, "support", now=NOW)] == ["a"]
    assert [s.memory.id for s in store.search(CALLER, "support", "tea", now=NOW, limit=5)] == ["a"]
    store.delete("a")
    assert server.memories() == []


def test_the_backend_never_imports_mem0ai() -> None:
    import subprocess
    import sys

    code = (
        "import sys, shared.memory.mem0, shared.memory.backends; "
        "print(sorted(m for m in sys.modules if m.startswith('mem0')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_key_never_shows(store: Mem0MemoryStore, server: FakeMem0Server) -> None:
    server.fail_with = 401
    with pytest.raises(StoreUnavailable) as caught:
        store.get_all(CALLER, "support", now=NOW)
    assert API_KEY not in repr(caught.value) and API_KEY not in repr(store.__dict__)


# operator reads and the sweep: every page, few requests ------------------------------------------------------


def seed_ours(server: FakeMem0Server, memories: list[Memory]) -> None:
    """Store our memories directly, encoded as our adds encode them (fast: no add round trips)."""
    for m in memories:
        body = codec.add_body(m)
        server.seed(
            {"user_id": m.user_id, "memory": m.text, **{k: body.get(k) for k in ("metadata", "expiration_date")}}
        )


def listings(server: FakeMem0Server) -> list[Any]:
    return [r.json["filters"] for r in server.requests_to("POST", "/v3/memories/")]


def test_scan_reads_every_page_of_the_agent_type_once(store: Mem0MemoryStore, server: FakeMem0Server) -> None:
    callers = [f"+1555555{i:04d}" for i in range(30)]
    seed_ours(server, [memory(f"{c}:{k}", f"note {k}", user=c) for c in callers for k in range(8)])  # 240: 3 pages
    seed_ours(server, [memory("sales", "x", agent="sales"), memory("gone", "y", expires_at=NOW - timedelta(hours=1))])
    server.seed({"user_id": CALLER, "memory": "another tool's", "metadata": {"agent_type": "support"}})
    server.clear_requests()

    scanned = list(store.scan("support", now=NOW))
    assert sorted(m.id for m in scanned) == sorted(f"{c}:{k}" for c in callers for k in range(8))
    assert listings(server) == [codec.agent_filter("support")] * 3  # one listing, not one per caller
    assert not server.requests_to("GET", "/v1/entities/")


def test_users_of_many_light_callers_come_from_one_scan(store: Mem0MemoryStore, server: FakeMem0Server) -> None:
    callers = [f"+1555555{i:04d}" for i in range(40)]
    seed_ours(server, [memory(f"{c}:{k}", "note", user=c) for c in callers for k in range(3)])
    seed_ours(
        server, [memory("s", "x", user=OTHER, agent="sales"), memory("g", "y", expires_at=NOW - timedelta(hours=1))]
    )
    server.clear_requests()
    assert store.users("support", now=NOW) == sorted(callers)
    assert len(server.requests_to("GET", "/v1/entities/")) == 1
    assert listings(server) == [codec.agent_filter("support")] * 2  # 122 memories: 2 pages, not 41 callers


def test_users_of_few_heavy_callers_are_confirmed_one_by_one(store: Mem0MemoryStore, server: FakeMem0Server) -> None:
    server.entities_page_size = 2  # the entity listing comes in pages: every page is read
    heavy = ["+15555550001", "+15555550002", "+15555550003"]
    seed_ours(server, [memory(f"{c}:{k}", "note", user=c) for c in heavy for k in range(200)])
    seed_ours(server, [memory("sales", "x", user=OTHER, agent="sales")])  # a candidate that is not confirmed
    seed_ours(server, [memory("gone", "y", user="+15555550004", expires_at=NOW - timedelta(hours=1))])
    server.clear_requests()
    assert store.users("support", now=NOW) == heavy
    assert len(server.requests_to("GET", "/v1/entities/")) == 3
    assert [r.query for r in server.requests_to("GET", "/v1/entities/")][1:] == [
        {"page": "2", "page_size": "2"},
        {"page": "3", "page_size": "2"},
    ]
    scoped = [codec.scope_filter(c, "support") for c in [*heavy, OTHER, "+15555550004"]]
    assert sorted(map(str, listings(server))) == sorted(map(str, scoped))  # one page each, not 7 pages of scan


def test_users_without_an_entity_listing_fall_back_to_the_scan(server: FakeMem0Server) -> None:
    class NoEntities(FakeMem0Server):
        def answer(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
            return (
                (404, {"detail": "Not found."})
                if path == "/v1/entities/"
                else super().answer(method, path, query, body)
            )

    with NoEntities(today=lambda: NOW.date()) as fake:
        backend = Mem0MemoryStore(Secret(API_KEY), fake.url, write_timeout=5.0, poll_interval=0.01)
        try:
            backend.add([memory("a", "note"), memory("b", "note", user=OTHER, agent="sales")])
            assert backend.users("support", now=NOW) == [CALLER]
        finally:
            backend.close()


def test_operator_reads_fail_as_unavailable(store: Mem0MemoryStore, server: FakeMem0Server) -> None:
    server.fail_with = 502
    with pytest.raises(StoreUnavailable):
        store.users("support", now=NOW)
    with pytest.raises(StoreUnavailable):
        list(store.scan("support", now=NOW))


def test_the_sweep_deletes_past_what_one_caller_listing_reads(store: Mem0MemoryStore, server: FakeMem0Server) -> None:
    total = mem0.PAGE_SIZE * mem0.MAX_PAGES + 30  # more than a per-caller listing's bound
    seed_ours(server, [memory(f"e{i}", "old", user=f"+1555555{i % 50:04d}", expires_at=NOW) for i in range(total)])
    seed_ours(server, [memory("keep", "new", expires_at=NOW + timedelta(days=1))])
    assert store.delete_expired(NOW) == total
    assert [m["metadata"]["memory_id"] for m in server.memories()] == ["keep"]
    assert len(server.requests_to("DELETE", "/v1/batch/")) == -(-total // mem0.BATCH_DELETE)
