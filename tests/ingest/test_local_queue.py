"""The SQLite queue keeps no call id longer than it needs: an erased one is readable in no file of the queue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.ingest.local import SqliteQueue


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
