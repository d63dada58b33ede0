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
