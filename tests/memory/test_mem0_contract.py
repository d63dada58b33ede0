"""Our backend sends Mem0 exactly what mem0ai 2.2.1's real ``MemoryClient`` sends for the same operation.

Each test runs one store operation against one fake server and the equivalent ``MemoryClient`` calls against
a twin server in the same state, then compares method, path, query string and JSON body of every request,
plus the authentication headers. The expected client calls are written out by hand from mem0.md, so the
test also pins the wire format itself (v3 paths, ``filters`` with the user id inside, ``top_k``, ``infer``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from shared.memory.mem0 import MEM0_ENVIRONMENT, Mem0MemoryStore
from shared.memory.models import Memory
from shared.secrets import Secret
from tests.fakes import API_KEY, FakeMem0Server

NOW = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
CALLER = "+15555550123"
MEMORY = Memory(
    id="evt-7:0",
    user_id=CALLER,
    agent_type="support",
    type="factual",
    text="Prefers afternoon appointments",
    created_at=datetime(2030, 1, 14, 9, 30, tzinfo=UTC),
    expires_at=datetime(2030, 3, 1, 8, 0, tzinfo=UTC),
    conversation_id="conv-42",
    metadata={"source": "summary"},
)
SCOPE = {"AND": [{"user_id": CALLER}, {"metadata": {"agent_type": "support"}}]}
PAGE = {"page": 1, "page_size": 100}


@pytest.fixture(scope="module")
def memory_client_class(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """mem0ai imported the way any process must: telemetry off and a writable MEM0_DIR, set before import."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in MEM0_ENVIRONMENT.items():
            patch.setenv(name, value)
        patch.setenv("MEM0_DIR", str(tmp_path_factory.mktemp("mem0dir")))
        for name in ("MEM0_SOURCE", "MEM0_APPLICATION", "MEM0_CLIENT_STACK"):
            patch.delenv(name, raising=False)
        client_module = importlib.import_module("mem0.client.main")
        telemetry = importlib.import_module("mem0.memory.telemetry")
    assert telemetry.MEM0_TELEMETRY is False
    return client_module.MemoryClient


Seed = Callable[[FakeMem0Server], None]


def _twins(seed: Seed) -> Iterator[tuple[FakeMem0Server, FakeMem0Server]]:
    with FakeMem0Server(today=lambda: NOW.date()) as ours, FakeMem0Server(today=lambda: NOW.date()) as theirs:
        seed(ours)
        seed(theirs)
        ours.clear_requests()
        theirs.clear_requests()
        yield ours, theirs


def _wire(server: FakeMem0Server) -> list[tuple[str, str, dict[str, str], Any]]:
    return [(r.method, r.path, r.query, r.json) for r in server.requests]


def _assert_same(ours: FakeMem0Server, theirs: FakeMem0Server) -> None:
    assert _wire(ours) == _wire(theirs)
    for mine, real in zip(ours.requests, theirs.requests, strict=True):
        for header in ("authorization", "mem0-user-id"):
            assert mine.headers[header] == real.headers[header]
        if real.json is not None:
            assert mine.headers["content-type"] == real.headers["content-type"] == "application/json"


_OPEN: list[Callable[[], None]] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop()()


def _store(server: FakeMem0Server) -> Mem0MemoryStore:
    store = Mem0MemoryStore(Secret(API_KEY), server.url, read_timeout=2.0, write_timeout=5.0, poll_interval=0.01)
    _OPEN.append(store.close)
    return store


def _client(cls: Any, server: FakeMem0Server) -> Any:
    http = httpx.Client(timeout=5.0)
    _OPEN.append(http.close)
    client = cls(api_key=API_KEY, host=server.url, client=http)
    assert server.requests_to("GET", "/v1/ping/")  # the constructor's blocking ping that our backend never makes
    server.clear_requests()
    return client


def _seed_memory(server: FakeMem0Server) -> None:
    _store(server).add([MEMORY])


def _seed_fixed_ids(server: FakeMem0Server) -> None:
    """Identical Mem0 ids on both twins, so deletes by id compare."""
    for mem0_id, mid, expires in (("m0-a", "evt-1:0", "2030-01-10T00:00:00+00:00"), ("m0-b", "evt-1:1", None)):
        metadata = {"memory_id": mid, "type": "factual", "agent_type": "support", "created_at": NOW.isoformat()}
        if expires:
            metadata["expires_at"] = expires
        server.seed(
            {
                "id": mem0_id,
                "user_id": CALLER,
                "memory": f"memory {mid}",
                "metadata": metadata,
                "expiration_date": expires[:10] if expires else None,
            }
        )


def test_add(memory_client_class: Any) -> None:
    for ours, theirs in _twins(lambda _: None):
        assert _store(ours).add([MEMORY]) == 1
        client = _client(memory_client_class, theirs)
        lookup = {"AND": [{"user_id": CALLER}, {"metadata": {"memory_id": "evt-7:0"}}]}
        client.get_all(filters=lookup, show_expired=True, **PAGE)
        client.add(
            "Prefers afternoon appointments",
            user_id=CALLER,
            metadata={
                "memory_id": "evt-7:0",
                "type": "factual",
                "agent_type": "support",
                "created_at": "2030-01-14T09:30:00+00:00",
                "conversation_id": "conv-42",
                "expires_at": "2030-03-01T08:00:00+00:00",
                "extra": {"source": "summary"},
            },
            infer=False,
            timestamp=int(MEMORY.created_at.timestamp()),
            expiration_date="2030-03-01",
        )
        client.get_all(filters=lookup, show_expired=True, **PAGE)
        _assert_same(ours, theirs)
        assert ours.requests_to("POST", "/v3/memories/add/")[0].json["infer"] is False


def test_list(memory_client_class: Any) -> None:
    for ours, theirs in _twins(_seed_memory):
        assert [m.id for m in _store(ours).get_all(CALLER, "support", now=NOW)] == ["evt-7:0"]
        _client(memory_client_class, theirs).get_all(filters=SCOPE, **PAGE)
        _assert_same(ours, theirs)


def test_list_by_types(memory_client_class: Any) -> None:
    for ours, theirs in _twins(_seed_memory):
        _store(ours).get_all(CALLER, "support", now=NOW, types=["factual", "lead"], limit=3)
        by_type = {"OR": [{"metadata": {"type": "factual"}}, {"metadata": {"type": "lead"}}]}
        _client(memory_client_class, theirs).get_all(filters={"AND": [*SCOPE["AND"], by_type]}, **PAGE)
        _assert_same(ours, theirs)


def test_search(memory_client_class: Any) -> None:
    for ours, theirs in _twins(_seed_memory):
        found = _store(ours).search(CALLER, "support", " afternoon appointments ", now=NOW, limit=5)
        assert [s.memory.id for s in found] == ["evt-7:0"]
        _client(memory_client_class, theirs).search("afternoon appointments", filters=SCOPE, top_k=5)
        _assert_same(ours, theirs)


def test_erase(memory_client_class: Any) -> None:
    for ours, theirs in _twins(_seed_memory):
        assert _store(ours).erase_user(CALLER) == 1
        client = _client(memory_client_class, theirs)
        client.get_all(filters={"user_id": CALLER}, show_expired=True, **PAGE)
        client.delete_all(user_id=CALLER)
        client.get_all(filters={"user_id": CALLER}, show_expired=True, **PAGE)
        client.delete_users(user_id=CALLER)
        _assert_same(ours, theirs)
        assert ours.memories() == theirs.memories() == []


def test_delete(memory_client_class: Any) -> None:
    for ours, theirs in _twins(_seed_fixed_ids):
        _store(ours).delete("evt-1:1")
        client = _client(memory_client_class, theirs)
        client.get_all(
            filters={"AND": [{"user_id": "*"}, {"metadata": {"memory_id": "evt-1:1"}}]}, show_expired=True, **PAGE
        )
        client.delete("m0-b")
        _assert_same(ours, theirs)


def test_delete_expired(memory_client_class: Any) -> None:
    for ours, theirs in _twins(_seed_fixed_ids):
        assert _store(ours).delete_expired(NOW + timedelta(hours=1)) == 1
        client = _client(memory_client_class, theirs)
        expired = {"AND": [{"user_id": "*"}, {"expiration_date": {"lte": "2030-01-15"}}]}
        client.get_all(filters=expired, show_expired=True, **PAGE)
        client.batch_delete([{"memory_id": "m0-a"}])
        _assert_same(ours, theirs)
        assert [m["id"] for m in ours.memories()] == [m["id"] for m in theirs.memories()] == ["m0-b"]


def _seed_heavy_caller(server: FakeMem0Server) -> None:
    """One caller with more memories than a page: confirming that caller is cheaper than scanning."""
    for index in range(PAGE["page_size"] + 1):
        metadata = {"memory_id": f"evt-{index}:0", "type": "factual", "agent_type": "support"}
        server.seed(
            {"user_id": CALLER, "memory": f"note {index}", "metadata": {**metadata, "created_at": NOW.isoformat()}}
        )


def test_users_by_scan(memory_client_class: Any) -> None:
    for ours, theirs in _twins(_seed_memory):
        assert _store(ours).users("support", now=NOW) == [CALLER]
        client = _client(memory_client_class, theirs)
        assert [e["name"] for e in client.users()["results"]] == [CALLER]
        client.get_all(filters={"AND": [{"user_id": "*"}, {"metadata": {"agent_type": "support"}}]}, **PAGE)
        _assert_same(ours, theirs)


def test_users_by_caller(memory_client_class: Any) -> None:
    for ours, theirs in _twins(_seed_heavy_caller):
        assert _store(ours).users("support", now=NOW) == [CALLER]
        client = _client(memory_client_class, theirs)
        assert client.users()["results"][0]["total_memories"] == PAGE["page_size"] + 1
        client.get_all(filters=SCOPE, **PAGE)
        _assert_same(ours, theirs)


def test_scan(memory_client_class: Any) -> None:
    for ours, theirs in _twins(_seed_memory):
        assert [m.id for m in _store(ours).scan("support", now=NOW)] == ["evt-7:0"]
        everyone = {"AND": [{"user_id": "*"}, {"metadata": {"agent_type": "support"}}]}
        _client(memory_client_class, theirs).get_all(filters=everyone, **PAGE)
        _assert_same(ours, theirs)
