"""Mem0 adds are asynchronous: a caller who calls back before Mem0 lists the memory is still recognised."""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.errors import NotFound, StoreUnavailable
from shared.ingest.ports import Archive, ArchivedEvent, ArchiveEntry
from shared.memory.mem0 import Mem0MemoryStore
from shared.memory.mem0_pending import (
    ArchivePendingLog,
    DirectoryPendingLog,
    InMemoryPendingLog,
    PendingLog,
    PendingMemory,
)
from shared.memory.models import Memory
from shared.secrets import Secret
from tests.fakes import API_KEY, FakeMem0Server

NOW = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
CALLER = "+15555550123"
NAME_KEY = Secret("test-caller-ref-key-0001-0123456789abcdef")
CALL = [
    Memory("ev:0", CALLER, "support", "factual", "Name is Dana, prefers afternoon appointments", NOW),
    Memory("ev:1", CALLER, "support", "lead", "Wants a quote for solar panels", NOW - timedelta(seconds=1)),
]


@pytest.fixture
def server() -> Iterator[FakeMem0Server]:
    with FakeMem0Server(today=lambda: NOW.date()) as fake:
        yield fake


@pytest.fixture
def make_store(server: FakeMem0Server) -> Iterator[Callable[..., Mem0MemoryStore]]:
    stores: list[Mem0MemoryStore] = []

    def make(pending: PendingLog | None = None, **options: object) -> Mem0MemoryStore:
        options = {"read_timeout": 1.0, "write_timeout": 2.0, "poll_interval": 0.01, "clock": lambda: NOW, **options}
        store = Mem0MemoryStore(Secret(API_KEY), server.url, pending=pending, **options)  # type: ignore[arg-type]
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.close()


def _in_background(action: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(action())
        except Exception as exc:  # handed to the test thread
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.005)


def test_caller_calling_back_before_mem0_lists_the_call_is_recognised(
    server: FakeMem0Server, make_store: Callable[..., Mem0MemoryStore], tmp_path: Path
) -> None:
    # the worker and the HTTP function are different processes sharing one pending log
    worker = make_store(DirectoryPendingLog(tmp_path / "pending", name_key=NAME_KEY))
    http_function = make_store(DirectoryPendingLog(tmp_path / "pending", name_key=NAME_KEY))
    unaware = make_store()  # no shared log: sees only what Mem0 lists
    server.hold_adds = True

    thread, outcome = _in_background(lambda: worker.add(CALL))
    _wait_for(lambda: len(server.requests_to("POST", "/v3/memories/add/")) == 2 and bool(list(tmp_path.iterdir())))
    _wait_for(lambda: len(http_function.get_all(CALLER, "support", now=NOW)) == 2)

    assert [m.id for m in http_function.get_all(CALLER, "support", now=NOW)] == ["ev:0", "ev:1"]
    assert [s.memory.id for s in http_function.search(CALLER, "support", "solar quote", now=NOW, limit=3)] == ["ev:1"]
    assert http_function.get_all(CALLER, "support", now=NOW, types=["lead"])[0].id == "ev:1"
    assert http_function.get_all(CALLER, "sales", now=NOW) == []
    assert unaware.get_all(CALLER, "support", now=NOW) == []
    assert thread.is_alive()  # the worker holds the event until Mem0 has it

    server.release_adds()
    thread.join(timeout=5)
    assert outcome == [2]
    assert not any((tmp_path / "pending").iterdir())  # confirmed entries are gone
    assert [m.id for m in unaware.get_all(CALLER, "support", now=NOW)] == ["ev:0", "ev:1"]


def test_add_returns_once_mem0_lists_the_memories(
    server: FakeMem0Server, make_store: Callable[..., Mem0MemoryStore]
) -> None:
    server.add_delay = 0.15
    started = time.monotonic()
    assert make_store().add(CALL) == 2
    assert time.monotonic() - started >= 0.15
    assert [m.id for m in make_store().get_all(CALLER, "support", now=NOW)] == ["ev:0", "ev:1"]


def test_mem0_too_slow_the_worker_retries_without_posting_twice(
    server: FakeMem0Server, make_store: Callable[..., Mem0MemoryStore]
) -> None:
    log = InMemoryPendingLog()
    worker = make_store(log, visibility_timeout=0.1)
    server.hold_adds = True
    with pytest.raises(StoreUnavailable, match="does not list"):
        worker.add(CALL)
    assert len(log.get(CALLER)) == 2  # still visible to reads meanwhile
    assert [m.id for m in make_store(log).get_all(CALLER, "support", now=NOW)] == ["ev:0", "ev:1"]
    with pytest.raises(StoreUnavailable):
        worker.add(CALL)  # a redelivery while Mem0 is still busy does not post again
    assert len(server.requests_to("POST", "/v3/memories/add/")) == 2

    server.release_adds()
    assert worker.add(CALL) == 0  # Mem0 lists them now: the retry confirms, posts nothing
    assert log.get(CALLER) == []
    assert len(server.memories()) == 2


def test_stale_pending_entries_are_ignored_and_reposted(
    server: FakeMem0Server, make_store: Callable[..., Mem0MemoryStore]
) -> None:
    log = InMemoryPendingLog()
    log.put(CALLER, [PendingMemory(CALL[0], NOW - timedelta(hours=1))])  # Mem0 lost it long ago
    store = make_store(log, pending_ttl=timedelta(minutes=10))
    assert store.get_all(CALLER, "support", now=NOW) == []
    assert store.add(CALL[:1]) == 1
    assert len(server.requests_to("POST", "/v3/memories/add/")) == 1
    assert [m.id for m in store.get_all(CALLER, "support", now=NOW)] == ["ev:0"]


def test_pending_memories_obey_expiry(make_store: Callable[..., Mem0MemoryStore]) -> None:
    log = InMemoryPendingLog()
    gone = Memory("ev:9", CALLER, "support", "factual", "expired tea", NOW - timedelta(days=2), NOW - timedelta(days=1))
    log.put(CALLER, [PendingMemory(gone, NOW)])
    store = make_store(log)
    assert store.get_all(CALLER, "support", now=NOW) == []
    assert store.search(CALLER, "support", "tea", now=NOW, limit=5) == []


def test_erase_forgets_pending_memories(server: FakeMem0Server, make_store: Callable[..., Mem0MemoryStore]) -> None:
    log = InMemoryPendingLog()
    worker = make_store(log, visibility_timeout=0.05)
    server.hold_adds = True
    with pytest.raises(StoreUnavailable):
        worker.add(CALL)
    assert worker.erase_user(CALLER) == 2
    assert worker.get_all(CALLER, "support", now=NOW) == []
    assert log.get(CALLER) == []


def test_a_broken_pending_log_does_not_fail_the_read(make_store: Callable[..., Mem0MemoryStore]) -> None:
    class Broken(InMemoryPendingLog):
        broken = False

        def get(self, user_id: str) -> list[PendingMemory]:
            if self.broken:
                raise OSError("disk gone")
            return super().get(user_id)

        put = remove = lambda self, *args: self._fail()  # type: ignore[assignment]

        def _fail(self) -> None:
            raise OSError("disk gone")

    log = Broken()
    store = make_store(log)
    store.add(CALL)  # the worker's write does not depend on the log either
    log.broken = True
    assert [m.id for m in store.get_all(CALLER, "support", now=NOW)] == ["ev:0", "ev:1"]


class DictArchive(Archive):
    def __init__(self) -> None:
        self.events: dict[str, ArchivedEvent] = {}

    def put_if_absent(self, event: ArchivedEvent) -> bool:
        return self.events.setdefault(event.key, event) is event

    def get(self, key: str) -> ArchivedEvent:
        try:
            return self.events[key]
        except KeyError:
            raise NotFound(key) from None

    def entries(self) -> Iterator[ArchiveEntry]:
        return iter(ArchiveEntry(e.key, e.received_at, e.agent_type) for e in self.events.values())

    def delete(self, key: str) -> None:
        self.events.pop(key, None)


@pytest.mark.parametrize("kind", ["memory", "directory", "archive"])
def test_pending_logs_behave_alike(kind: str, tmp_path: Path) -> None:
    archive = DictArchive()
    log: PendingLog = {
        "memory": InMemoryPendingLog,
        "directory": lambda: DirectoryPendingLog(tmp_path, name_key=NAME_KEY),
        "archive": lambda: ArchivePendingLog(archive, agent_type="support", name_key=NAME_KEY, clock=lambda: NOW),
    }[kind]()
    entries = [PendingMemory(CALL[0], NOW, "evt-0"), PendingMemory(CALL[1], NOW)]  # an event id, and none (older)
    assert log.get(CALLER) == []
    assert log.callers() == []
    log.put(CALLER, entries)
    log.put(CALLER, entries[:1])  # replace by id, never duplicate
    other = Memory("ev2:0", "+15555550199", "sales", "lead", "Wants a quote", NOW)
    log.put(other.user_id, [PendingMemory(other, NOW)])
    assert sorted(log.callers()) == [CALLER, "+15555550199"]
    log.remove(other.user_id, [other.id])
    assert log.callers() == [CALLER]
    assert sorted(e.memory.id for e in log.get(CALLER)) == ["ev:0", "ev:1"]
    assert all(entry in entries for entry in log.get(CALLER))  # memory, time and event id read back as written
    assert log.get("+15555550199") == []
    log.remove(CALLER, ["ev:0"])
    assert [e.memory.id for e in log.get(CALLER)] == ["ev:1"]
    log.remove(CALLER, ["ev:1"])
    assert log.get(CALLER) == []
    if kind == "archive":
        assert archive.events == {}
    if kind == "directory":
        assert list(tmp_path.iterdir()) == []


def test_no_phone_number_in_pending_names(tmp_path: Path) -> None:
    DirectoryPendingLog(tmp_path, name_key=NAME_KEY).put(CALLER, [PendingMemory(CALL[0], NOW)])
    assert all("5555550123" not in path.name for path in tmp_path.iterdir())


def test_the_directory_log_keeps_its_records_private(tmp_path: Path) -> None:
    """Its records hold callers' words: 0600 in a 0700 dir from creation (they were 0644 in 0755 under umask 022)."""
    previous = os.umask(0o022)
    try:
        DirectoryPendingLog(tmp_path / "mem0-pending", name_key=NAME_KEY).put(CALLER, [PendingMemory(CALL[0], NOW)])
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "mem0-pending").stat().st_mode) == 0o700
    records = list((tmp_path / "mem0-pending").iterdir())
    assert records and all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in records)


def test_erase_fails_loudly_when_the_pending_log_cannot_be_cleared(
    make_store: Callable[..., Mem0MemoryStore],
) -> None:
    class Unclearable(InMemoryPendingLog):
        def remove(self, user_id: str, memory_ids: object) -> None:
            raise OSError("read-only")

    store = make_store(Unclearable())
    with pytest.raises(StoreUnavailable, match="pending log"):
        store.erase_user(CALLER)


def test_operator_reads_count_callers_mem0_does_not_list_yet(
    server: FakeMem0Server, make_store: Callable[..., Mem0MemoryStore], tmp_path: Path
) -> None:
    """Analytics run by another process than the worker still count a call whose add Mem0 is processing."""
    worker = make_store(DirectoryPendingLog(tmp_path / "pending", name_key=NAME_KEY), visibility_timeout=0.05)
    operator = make_store(DirectoryPendingLog(tmp_path / "pending", name_key=NAME_KEY))
    worker.add([Memory("old:0", "+15555550199", "support", "factual", "Listed already", NOW - timedelta(days=1))])
    server.hold_adds = True
    with pytest.raises(StoreUnavailable):
        worker.add(CALL)  # Mem0 accepted the adds but lists neither the memories nor the caller
    assert CALLER not in {row["name"] for row in server.answer("GET", "/v1/entities/", {}, None)[1]["results"]}

    assert operator.users("support", now=NOW) == [CALLER, "+15555550199"]
    assert operator.users("sales", now=NOW) == []
    assert sorted(m.id for m in operator.scan("support", now=NOW)) == ["ev:0", "ev:1", "old:0"]
    assert make_store().users("support", now=NOW) == ["+15555550199"]  # without the shared log: Mem0 alone

    server.release_adds()
    assert worker.add(CALL) == 0  # confirmed: the log empties, Mem0 answers alone, nothing counts twice
    assert not any((tmp_path / "pending").iterdir())
    assert operator.users("support", now=NOW) == [CALLER, "+15555550199"]
    assert sorted(m.id for m in operator.scan("support", now=NOW)) == ["ev:0", "ev:1", "old:0"]


def test_an_unreadable_pending_log_leaves_operator_reads_to_mem0(make_store: Callable[..., Mem0MemoryStore]) -> None:
    class Unlistable(InMemoryPendingLog):
        def callers(self) -> list[str]:
            raise OSError("disk gone")

    store = make_store(Unlistable())
    store.add(CALL)
    assert store.users("support", now=NOW) == [CALLER]
    assert sorted(m.id for m in store.scan("support", now=NOW)) == ["ev:0", "ev:1"]


def test_an_add_mem0_failed_after_accepting_it_is_posted_again_on_the_retry(
    server: FakeMem0Server, make_store: Callable[..., Mem0MemoryStore]
) -> None:
    """Mem0 answers PENDING, then its event ends FAILED and the memory never appears: the pending entry must not
    hold the retry back for the pending TTL (the event would dead-letter, and a replay would post nothing)."""
    log = InMemoryPendingLog()
    worker = make_store(log, visibility_timeout=0.1)
    server.fail_adds = True
    with pytest.raises(StoreUnavailable, match="does not list"):
        worker.add(CALL)
    assert all(entry.event_id for entry in log.get(CALLER))

    server.fail_adds = False
    assert worker.add(CALL) == 2  # the retry asks the events, posts both again, and Mem0 lists them
    assert len(server.requests_to("POST", "/v3/memories/add/")) == 4
    assert len([r for r in server.requests if r.path.startswith("/v1/event/")]) == 2  # one per unlisted add
    assert sorted(m.id for m in make_store().get_all(CALLER, "support", now=NOW)) == ["ev:0", "ev:1"]
    assert log.get(CALLER) == []


def test_an_add_still_pending_or_of_unknown_status_is_not_posted_twice(
    server: FakeMem0Server, make_store: Callable[..., Mem0MemoryStore]
) -> None:
    log = InMemoryPendingLog()
    worker = make_store(log, visibility_timeout=0.1)
    server.hold_adds = True
    with pytest.raises(StoreUnavailable):
        worker.add(CALL)
    entries = log.get(CALLER)
    log.put(CALLER, [PendingMemory(entries[0].memory, entries[0].posted_at, "no-such-event")])  # Mem0 answers 404
    with pytest.raises(StoreUnavailable):
        worker.add(CALL)
    assert len(server.requests_to("POST", "/v3/memories/add/")) == 2
    server.release_adds()
    assert worker.add(CALL) == 0
