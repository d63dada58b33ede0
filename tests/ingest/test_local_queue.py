"""The SQLite queue keeps no call id longer than it needs: a done row is deleted a day after it finished, and an
erased one is readable in no file of the queue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.ingest.local import DONE_KEPT_SECONDS, SWEEP_EVERY_SECONDS, SqliteQueue

HOUR = 3_600.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def queue(tmp_path: Path, clock: Clock) -> Iterator[SqliteQueue]:
    queue = SqliteQueue(tmp_path / "queue.db", clock=clock)
    yield queue
    queue.close()


def raw(tmp_path: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(tmp_path.glob("queue.db*")))


def test_a_done_row_is_deleted_a_day_after_it_finished(tmp_path: Path, queue: SqliteQueue, clock: Clock) -> None:
    """Done rows were kept for ever, and with them every call id the service ever processed."""
    queue.enqueue("post_call_transcription:conv_old")
    assert queue.claim() is not None
    clock.now += 10 * 60  # processing took a while: the day counts from the ack
    queue.ack("post_call_transcription:conv_old")
    queue.enqueue("post_call_transcription:conv_dead")
    queue.claim()
    queue.fail("post_call_transcription:conv_dead", "Boom", max_attempts=1)
    queue.enqueue("post_call_transcription:conv_waiting")

    clock.now += DONE_KEPT_SECONDS - 1
    queue.claim()  # the worker's poll, which sweeps at most hourly
    assert queue.keys("done") == ["post_call_transcription:conv_old"]  # replay and erasure still count it
    clock.now += SWEEP_EVERY_SECONDS
    queue.claim()
    assert queue.keys("done") == []
    assert b"conv_old" not in raw(tmp_path)
    # only done rows go: a dead letter waits for a replay, a pending event for the worker
    assert queue.keys("dead") == ["post_call_transcription:conv_dead"]
    assert queue.keys("processing") == ["post_call_transcription:conv_waiting"]


def test_the_sweep_runs_at_most_hourly(queue: SqliteQueue, clock: Clock) -> None:
    queue.enqueue("post_call_transcription:conv_1")
    queue.claim()
    queue.ack("post_call_transcription:conv_1")
    clock.now += DONE_KEPT_SECONDS - HOUR / 2
    queue.claim()  # swept: too young
    clock.now += HOUR / 2 + 1
    queue.claim()
    assert queue.counts() == {"done": 1}  # old enough, but the last sweep was half an hour ago
    clock.now += HOUR
    queue.claim()
    assert queue.counts() == {}


def test_a_removed_key_is_readable_in_no_file_of_the_queue(tmp_path: Path, queue: SqliteQueue) -> None:
    for n in range(3):
        queue.enqueue(f"post_call_transcription:conv_{n}")
    queue.claim()
    queue.ack("post_call_transcription:conv_0")
    assert b"conv_1" in raw(tmp_path)
    queue.remove("post_call_transcription:conv_1")
    assert b"conv_1" not in raw(tmp_path)
    assert queue.keys("pending") == ["post_call_transcription:conv_2"]


def test_deleted_rows_are_overwritten_in_both_databases(tmp_path: Path, queue: SqliteQueue) -> None:
    """``secure_delete`` is set on every connection: some SQLite builds default to it, others do not."""
    from shared.memory.sqlite import SqliteMemoryStore

    store = SqliteMemoryStore(tmp_path / "memories.db")
    try:
        with queue._db() as db:
            assert db.execute("PRAGMA secure_delete").fetchone() == (1,)
        with store._connection() as db:
            assert db.execute("PRAGMA secure_delete").fetchone() == (1,)
    finally:
        store.close()


def test_two_agent_types_on_one_data_dir_each_claim_their_own(tmp_path: Path) -> None:
    """Two ``serve`` processes of two agent types on one data dir: neither worker takes the other's event."""
    support = SqliteQueue(tmp_path / "queue.db", agent_type="elevenlabs_customer_support")
    sales = SqliteQueue(tmp_path / "queue.db", agent_type="elevenlabs_sales_agent")
    try:
        sales.enqueue("post_call_transcription:conv_sales")
        assert support.claim() is None
        support.enqueue("post_call_transcription:conv_support")
        assert support.claim() == ("post_call_transcription:conv_support", 1)
        assert sales.claim() == ("post_call_transcription:conv_sales", 1)
    finally:
        support.close()
        sales.close()


def test_rows_from_before_queues_knew_their_agent_type_are_still_claimed(tmp_path: Path) -> None:
    import sqlite3

    with sqlite3.connect(tmp_path / "queue.db") as db:  # an earlier version's queue.db, with one pending event
        db.executescript(
            "CREATE TABLE queue (key TEXT PRIMARY KEY, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, "
            "available_at REAL NOT NULL, enqueued_at REAL NOT NULL, last_error TEXT);"
            "INSERT INTO queue VALUES ('post_call_transcription:conv_old', 'pending', 0, 0, 0, NULL);"
        )
    queue = SqliteQueue(tmp_path / "queue.db", agent_type="elevenlabs_customer_support")
    try:
        assert queue.claim() == ("post_call_transcription:conv_old", 1)
    finally:
        queue.close()
