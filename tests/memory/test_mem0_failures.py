"""A stalled, failing or unreachable Mem0 costs a read at most its timeout, and every failure is StoreUnavailable."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from shared.errors import StoreUnavailable
from shared.memory.mem0 import Mem0MemoryStore
from shared.memory.models import Memory
from shared.secrets import Secret
from tests.fakes import API_KEY, FakeMem0Server

NOW = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
CALLER = "+15555550123"
READ_TIMEOUT = 0.4
MARGIN = 0.1  # the budget: read timeout + 100 ms


def memory(mid: str, text: str = "likes tea") -> Memory:
    return Memory(mid, CALLER, "support", "factual", text, NOW - timedelta(minutes=int(mid.split(":")[-1] or 0)))


@pytest.fixture
def server() -> Iterator[FakeMem0Server]:
    with FakeMem0Server(today=lambda: NOW.date()) as fake:
        yield fake


@pytest.fixture
def store(server: FakeMem0Server) -> Iterator[Mem0MemoryStore]:
    backend = Mem0MemoryStore(
        Secret(API_KEY), server.url, read_timeout=READ_TIMEOUT, write_timeout=1.0, poll_interval=0.01
    )
    yield backend
    backend.close()


READS = {
    "get_all": lambda s: s.get_all(CALLER, "support", now=NOW),
    "search": lambda s: s.search(CALLER, "support", "tea", now=NOW, limit=5),
}


@pytest.mark.parametrize("read", READS.values(), ids=READS.keys())
def test_stalled_server_costs_a_read_its_timeout(store: Mem0MemoryStore, server: FakeMem0Server, read) -> None:  # type: ignore[no-untyped-def]
    server.stall()
    started = time.perf_counter()
    with pytest.raises(StoreUnavailable, match="in time"):
        read(store)
    elapsed = time.perf_counter() - started
    assert READ_TIMEOUT * 0.9 <= elapsed < READ_TIMEOUT + MARGIN


@pytest.mark.parametrize("read", READS.values(), ids=READS.keys())
@pytest.mark.parametrize("status", [500, 502, 429, 401, 404])  # 404: a wrong MEM0_HOST, a proxy in the way
def test_error_status_is_unavailable_at_once(store: Mem0MemoryStore, server: FakeMem0Server, read, status: int) -> None:  # type: ignore[no-untyped-def]
    server.fail_with = status
    started = time.perf_counter()
    with pytest.raises(StoreUnavailable) as caught:
        read(store)
    assert time.perf_counter() - started < READ_TIMEOUT
    assert API_KEY not in str(caught.value) and CALLER not in str(caught.value)


def test_slow_pages_share_one_read_budget(store: Mem0MemoryStore, server: FakeMem0Server) -> None:
    for i in range(250):  # three pages of 100
        server.seed({"user_id": CALLER, "memory": f"fact {i}", "metadata": {"agent_type": "support"}})
    server.delay = READ_TIMEOUT / 2.5  # each page alone is fast enough, three are not
    started = time.perf_counter()
    with pytest.raises(StoreUnavailable):
        store.get_all(CALLER, "support", now=NOW)
    assert time.perf_counter() - started < READ_TIMEOUT + MARGIN


def test_unreachable_server_is_unavailable() -> None:
    with FakeMem0Server() as gone:
        url = gone.url
    backend = Mem0MemoryStore(Secret(API_KEY), url, read_timeout=READ_TIMEOUT)
    try:
        with pytest.raises(StoreUnavailable, match="reached"):
            backend.get_all(CALLER, "support", now=NOW)
    finally:
        backend.close()


def test_body_that_is_not_json_is_unavailable(store: Mem0MemoryStore, server: FakeMem0Server) -> None:
    server.answer = lambda *args: (200, "not an object")  # type: ignore[method-assign]
    with pytest.raises(StoreUnavailable, match="shape"):
        store.get_all(CALLER, "support", now=NOW)


def test_failed_write_lands_once_the_server_is_back(store: Mem0MemoryStore, server: FakeMem0Server) -> None:
    batch = [memory("ev:0"), memory("ev:1", "owns a bicycle")]
    server.fail_with = 500
    with pytest.raises(StoreUnavailable):
        store.add(batch)
    assert server.memories() == []
    server.fail_with = None
    assert store.add(batch) == 2  # the worker's retry
    assert store.add(batch) == 0  # and a later redelivery changes nothing
    assert sorted(m.id for m in store.get_all(CALLER, "support", now=NOW)) == ["ev:0", "ev:1"]
    assert len(server.memories()) == 2


def test_write_that_fails_half_way_is_not_duplicated_by_the_retry(
    store: Mem0MemoryStore, server: FakeMem0Server
) -> None:
    batch = [memory("ev:0"), memory("ev:1", "owns a bicycle")]
    original = server.answer
    posted: list[str] = []

    def second_add_fails(method, path, query, body):  # type: ignore[no-untyped-def]
        if path == "/v3/memories/add/":
            posted.append(body["metadata"]["memory_id"])
            if len(posted) == 2:
                return 500, {"detail": "boom"}
        return original(method, path, query, body)

    server.answer = second_add_fails  # type: ignore[method-assign]
    with pytest.raises(StoreUnavailable):
        store.add(batch)
    server.answer = original  # type: ignore[method-assign]
    assert store.add(batch) == 1  # ev:0 landed in the failed attempt; only ev:1 is new
    assert sorted(m["metadata"]["memory_id"] for m in server.memories()) == ["ev:0", "ev:1"]


def test_a_404_from_an_erasure_delete_is_checked_by_listing_again(
    store: Mem0MemoryStore, server: FakeMem0Server
) -> None:
    """Mem0 (or a proxy) answering 404 to ``DELETE /v1/memories/`` is not a crash: the next listing decides."""
    store.add([memory("ev:0")])
    original = server.answer
    deletes: list[str] = []

    def delete_all_is_404_once(method, path, query, body):  # type: ignore[no-untyped-def]
        if method == "DELETE" and path == "/v1/memories/" and not deletes:
            deletes.append(path)
            return 404, {"detail": "Not found."}
        return original(method, path, query, body)

    server.answer = delete_all_is_404_once  # type: ignore[method-assign]
    assert store.erase_user(CALLER) == 1
    assert deletes and server.memories() == []
