"""Must show: an add Mem0 accepted and never listed (it failed on Mem0's side, the event was dead-lettered) leaves no
copy of the caller's words in the local pending log for ever. Reads stop using an entry once it is past the pending
TTL, and deployed the bucket's lifecycle rule expires the record; locally nothing did, so the memory's text and the
caller's number outlived its retention in ``<data dir>/mem0-pending``. The sweep now drops such entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from shared.errors import StoreUnavailable
from shared.memory.mem0 import Mem0MemoryStore
from shared.memory.mem0_pending import DirectoryPendingLog
from shared.memory.models import Memory
from shared.secrets import Secret

NUMBER = "+15555550166"
WORDS = "My allotment is plot forty-one at Gorsemere Lane."


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _never_lists(request: httpx.Request) -> httpx.Response:
    """A Mem0 that accepts every add and lists nothing (the adds failed on its side)."""
    if request.method == "POST" and request.url.path == "/v3/memories/add/":
        return httpx.Response(200, json=[{"status": "PENDING", "event_id": "evt-0001"}])
    if request.method == "POST" and request.url.path == "/v3/memories/":
        return httpx.Response(200, json={"count": 0, "next": None, "results": []})
    return httpx.Response(200, json={"message": "ok"})


def _store(tmp_path: Path, clock: Clock) -> Mem0MemoryStore:
    pending = DirectoryPendingLog(tmp_path / "mem0-pending", name_key=Secret("r" * 40))
    return Mem0MemoryStore(
        Secret("m0-test-key"),
        host="https://mem0.invalid",
        transport=httpx.MockTransport(_never_lists),
        clock=clock,
        pending=pending,
        visibility_timeout=0.0,
        sleep=lambda seconds: None,
    )


def _on_disk(tmp_path: Path) -> bytes:
    return b"".join(path.read_bytes() for path in (tmp_path / "mem0-pending").iterdir())


def test_the_sweep_drops_pending_entries_no_read_uses_any_more(tmp_path: Path) -> None:
    clock = Clock()
    store = _store(tmp_path, clock)
    memory = Memory(
        id="m_allotment",
        user_id=NUMBER,
        agent_type="elevenlabs_customer_support",
        type="semantic",
        text=WORDS,
        created_at=clock.now,
        expires_at=clock.now + timedelta(days=90),
    )
    with pytest.raises(StoreUnavailable):
        store.add([memory])  # Mem0 never lists it: the worker retries, then dead-letters the event
    assert b"Gorsemere" in _on_disk(tmp_path)

    store.delete_expired(clock.now)  # a sweep while the add may still be listed: the entry stays
    assert b"Gorsemere" in _on_disk(tmp_path)

    clock.now += timedelta(days=1)
    store.delete_expired(clock.now)
    assert b"Gorsemere" not in _on_disk(tmp_path) and b"5550166" not in _on_disk(tmp_path)
    assert store.get_all(NUMBER, "elevenlabs_customer_support", now=clock.now) == []
