"""The local worker gives way to HTTP requests, and the SQLite queue takes concurrent writers without loss."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from shared.ingest.local import Activity, LocalWorker, SqliteQueue


def test_activity_is_quiet_only_with_nothing_in_flight() -> None:
    activity = Activity(gap=0.0)
    assert activity.wait_quiet(0.01)
    with activity.request():
        started = time.monotonic()
        assert not activity.wait_quiet(0.05)
        assert time.monotonic() - started >= 0.04
    assert activity.wait_quiet(0.01)


def test_activity_waits_for_a_gap_after_the_last_request() -> None:
    activity = Activity(gap=0.2)
    with activity.request():
        pass
    assert not activity.wait_quiet(0.05)  # a request just finished: not quiet yet
    assert activity.wait_quiet(1.0)


def _worker(tmp_path: Path, activity: Activity, seen: list[float]) -> tuple[SqliteQueue, LocalWorker]:
    queue = SqliteQueue(tmp_path / "queue.db")
    worker = LocalWorker(queue, lambda key: seen.append(time.monotonic()), activity=activity, max_deferral=0.2)
    return queue, worker


def test_worker_defers_to_requests_but_still_makes_progress(tmp_path: Path) -> None:
    activity, seen = Activity(gap=0.0), []
    queue, worker = _worker(tmp_path, activity, seen)
    for n in range(3):
        queue.enqueue(f"event:{n}")
    release = threading.Event()

    def busy() -> None:
        with activity.request():
            release.wait(5)

    holder = threading.Thread(target=busy)
    holder.start()
    started = time.monotonic()
    worker.start()
    try:
        deadline = time.monotonic() + 5
        while len(seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(seen) >= 2, "the worker starved under constant load"
        assert seen[0] - started >= 0.15  # each event waited for the deferral while a request was in flight
        assert seen[1] - seen[0] >= 0.15
    finally:
        release.set()
        holder.join()
        worker.stop()
        queue.close()


def test_worker_runs_at_once_when_quiet(tmp_path: Path) -> None:
    activity, seen = Activity(gap=0.0), []
    queue, worker = _worker(tmp_path, activity, seen)
    for n in range(5):
        queue.enqueue(f"event:{n}")
    started = time.monotonic()
    worker.start()
    try:
        deadline = time.monotonic() + 5
        while len(seen) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(seen) == 5
        assert seen[-1] - started < 0.15 * 5  # no deferral per event
    finally:
        worker.stop()
        queue.close()


def test_concurrent_enqueues_lose_nothing(tmp_path: Path) -> None:
    queue = SqliteQueue(tmp_path / "queue.db")
    failures: list[BaseException] = []

    def enqueue(thread: int) -> None:
        try:
            for n in range(50):
                queue.enqueue(f"event:{thread}:{n}")
        except BaseException as exc:
            failures.append(exc)
        finally:
            queue.close()

    threads = [threading.Thread(target=enqueue, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert queue.counts() == {"pending": 400}
    queue.close()
