"""Local ports: files for the archive, SQLite for the queue, and a worker thread for ``serve``."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from hashlib import sha256
from pathlib import Path

from shared.errors import NotFound, StoreUnavailable, failure
from shared.ingest.ports import Archive, ArchivedEvent, ArchiveEntry, Queue
from shared.private_files import PRIVATE_FILE, create_private, private_dir, write_private

log = logging.getLogger("agentic_memory.local")


def _file_name(key: str) -> str:
    """Keys hold platform ids; the file name is their hash so no key can escape the directory."""
    return sha256(key.encode()).hexdigest()


STALE_CLAIM_SECONDS = 30.0  # an archive write takes milliseconds; a claim this old without its event was abandoned


def _stale(claim: Path) -> bool:
    try:
        return time.time() - claim.stat().st_mtime > STALE_CLAIM_SECONDS
    except FileNotFoundError:
        return True


class FileArchive(Archive):
    """One JSON metadata file and one body file per event, written create-only (``O_EXCL``), 0600 in a 0700 dir."""

    def __init__(self, directory: str | Path) -> None:
        self._dir = Path(directory)
        private_dir(self._dir)

    def put_if_absent(self, event: ArchivedEvent) -> bool:
        name = _file_name(event.key)
        meta = {
            "key": event.key,
            "received_at": event.received_at.isoformat(),
            "agent_type": event.agent_type,
            "user_ref": event.user_ref,
        }
        if not self._claim(name):
            return False
        try:
            write_private(self._dir / f"{name}.body", event.body)
            tmp = self._dir / f"{name}.json.tmp"
            write_private(tmp, json.dumps(meta).encode())
            os.replace(tmp, self._dir / f"{name}.json")
        except OSError as exc:
            (self._dir / f"{name}.claim").unlink(missing_ok=True)
            raise StoreUnavailable("could not archive the event") from exc
        return True

    def _claim(self, name: str) -> bool:
        """The claim file makes the first writer win, even across processes. A claim left without its event by a
        writer that died mid-write (SIGKILL, power loss) is taken over once it is ``STALE_CLAIM_SECONDS`` old: before,
        every redelivery of that event was a "duplicate" of nothing, and it was never remembered."""
        claim = self._dir / f"{name}.claim"
        for _ in range(2):
            try:
                os.close(os.open(claim, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
                return True
            except FileExistsError:
                if (self._dir / f"{name}.json").exists() or not _stale(claim):
                    return False
                claim.unlink(missing_ok=True)
        return False

    def _meta(self, path: Path) -> dict[str, str]:
        data: dict[str, str] = json.loads(path.read_text())
        return data

    def get(self, key: str) -> ArchivedEvent:
        name = _file_name(key)
        try:
            meta = self._meta(self._dir / f"{name}.json")
            body = (self._dir / f"{name}.body").read_bytes()
        except FileNotFoundError:
            raise NotFound("no such archived event") from None
        return ArchivedEvent(
            key=meta["key"],
            body=body,
            received_at=datetime.fromisoformat(meta["received_at"]),
            agent_type=meta["agent_type"],
            user_ref=meta.get("user_ref"),
        )

    def entries(self) -> Iterator[ArchiveEntry]:
        for path in sorted(self._dir.glob("*.json")):
            try:
                meta = self._meta(path)
            except FileNotFoundError:
                continue
            yield ArchiveEntry(
                key=meta["key"],
                received_at=datetime.fromisoformat(meta["received_at"]),
                agent_type=meta["agent_type"],
                user_ref=meta.get("user_ref"),
            )

    def delete(self, key: str) -> None:
        name = _file_name(key)
        for suffix in (".json", ".body", ".claim"):
            (self._dir / f"{name}{suffix}").unlink(missing_ok=True)


_QUEUE_SCHEMA = """
CREATE TABLE IF NOT EXISTS queue (
    key TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    available_at REAL NOT NULL,
    enqueued_at REAL NOT NULL,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS queue_ready ON queue (state, available_at);
"""
DONE_KEPT_SECONDS = 86_400.0  # a finished event's row (its key names the call) is deleted a day after it finished
SWEEP_EVERY_SECONDS = 3_600.0
# How long a queue write waits for another process's (a second serve, replay) or this worker's write. Its writes
# take a millisecond; a lock held longer is a stuck process. The post-call that waited 10 s on SQLite, plus 10 s
# behind the worker's own wait, held serve's one request turn, and every pre-call behind it, for 20 s.
BUSY_SECONDS = 2.0


class SqliteQueue(Queue):
    """A durable local queue with leases, retries with back-off and a dead-letter state.

    Its keys name calls (``post_call_transcription:<call id>``), so nothing of a row outlives it: ``secure_delete``
    overwrites deleted rows, ``remove`` (erasure) empties the WAL, and done rows are deleted a day after they finished.
    """

    def __init__(
        self, path: str | Path, *, agent_type: str | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        """``agent_type``: the agent type whose worker claims from this queue. Two ``serve`` processes of two agent
        types may share a data dir: each enqueues under its own and claims only its own (and rows from before
        queues knew theirs), so no event is written by the other's worker, under the other agent type."""
        self._path = Path(path)
        private_dir(self._path.parent)
        self._agent_type = agent_type
        self._clock = clock
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._next_sweep = 0.0  # the first claim sweeps
        with self._db() as db:
            db.executescript(_QUEUE_SCHEMA)
            if "agent_type" not in {row[1] for row in db.execute("PRAGMA table_info(queue)")}:
                db.execute("ALTER TABLE queue ADD COLUMN agent_type TEXT")  # a queue.db from an earlier version

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        try:
            if db is None:
                create_private(self._path)  # SQLite would create it 0644 (less the umask), and its -wal and -shm alike
                db = self._local.db = sqlite3.connect(self._path, timeout=BUSY_SECONDS, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")  # WAL: a commit survives a process crash without an fsync
                db.execute("PRAGMA secure_delete=ON")  # a deleted row is overwritten, not left in a free page
                db.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
            yield db
        except sqlite3.Error as exc:
            raise StoreUnavailable("the local queue failed") from exc

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """Writers in this process take turns on a mutex: SQLite's own busy wait sleeps in steps of 1-100 ms."""
        with self._write_lock, self._db() as db:
            yield db

    def enqueue(self, key: str) -> None:
        """A key already pending or in flight stays as it is; a done or dead one is queued again (replay)."""
        now = self._clock()
        with self._writing() as db:
            db.execute(
                "INSERT INTO queue (key, state, attempts, available_at, enqueued_at, agent_type) "
                "VALUES (?, 'pending', 0, ?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET state='pending', attempts=0, available_at=excluded.available_at, "
                "last_error=NULL, agent_type=excluded.agent_type WHERE queue.state IN ('done', 'dead')",
                (key, now, now, self._agent_type),
            )

    def claim(self, lease_seconds: float = 60.0) -> tuple[str, int] | None:
        """The next ready key and its attempt number, leased; an expired lease makes it ready again. At most hourly,
        first deletes old done rows (the worker claims every poll, idle or not)."""
        now = self._clock()
        if now >= self._next_sweep:
            self.forget_done()
        with self._writing() as db:
            rows = db.execute(
                "UPDATE queue SET state='processing', attempts=attempts+1, available_at=? WHERE key = ("
                "SELECT key FROM queue WHERE state IN ('pending', 'processing') AND available_at <= ? "
                "AND (? IS NULL OR agent_type IS NULL OR agent_type = ?) "
                "ORDER BY available_at LIMIT 1) RETURNING key, attempts",
                (now + lease_seconds, now, self._agent_type, self._agent_type),
            ).fetchall()  # fetch every row: a half-read RETURNING statement keeps its snapshot open
        return (str(rows[0][0]), int(rows[0][1])) if rows else None

    def ack(self, key: str) -> None:
        """Done, and when (``available_at``): kept a day for ``replay``'s and erasure's counts, then forgotten."""
        with self._writing() as db:
            db.execute(
                "UPDATE queue SET state='done', available_at=?, last_error=NULL WHERE key=?", (self._clock(), key)
            )

    def forget_done(self) -> int:
        """Delete the rows done over ``DONE_KEPT_SECONDS`` ago, so no call id is kept for ever; returns how many."""
        now = self._clock()
        self._next_sweep = now + SWEEP_EVERY_SECONDS
        with self._writing() as db:
            gone = db.execute(
                "DELETE FROM queue WHERE state='done' AND available_at <= ?", (now - DONE_KEPT_SECONDS,)
            ).rowcount
            if gone:
                self._checkpoint(db)
        return int(gone)

    def fail(self, key: str, error: str, *, max_attempts: int, backoff_seconds: float = 1.0) -> bool:
        """Record a failure; returns True if the key went to the dead letters."""
        with self._writing() as db:
            row = db.execute("SELECT attempts FROM queue WHERE key=?", (key,)).fetchone()
            attempts = int(row[0]) if row else max_attempts
            dead = attempts >= max_attempts
            db.execute(
                "UPDATE queue SET state=?, available_at=?, last_error=? WHERE key=?",
                ("dead" if dead else "pending", self._clock() + backoff_seconds * 2 ** (attempts - 1), error, key),
            )
        return dead

    def counts(self) -> dict[str, int]:
        with self._db() as db:
            return {state: n for state, n in db.execute("SELECT state, count(*) FROM queue GROUP BY state")}

    def keys(self, state: str) -> list[str]:
        with self._db() as db:
            return [row[0] for row in db.execute("SELECT key FROM queue WHERE state=? ORDER BY enqueued_at", (state,))]

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def remove(self, key: str) -> None:
        """Erasure's: the row is overwritten and the WAL emptied, so the key is readable in no file afterwards."""
        with self._writing() as db:
            db.execute("DELETE FROM queue WHERE key=?", (key,))
            self._checkpoint(db)

    def _checkpoint(self, db: sqlite3.Connection) -> None:
        """Copy the WAL into the database file and truncate it: the WAL still holds the pages as they were before a
        delete. A connection reading at that moment keeps it from completing (logged); the next one empties it."""
        busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            log.warning("the local queue's WAL could not be checkpointed now; deleted keys stay in it until the next")


class Activity:
    """Tracks the HTTP requests in flight and the last one seen, so background work can give way to them."""

    def __init__(self, *, gap: float = 0.005, clock: Callable[[], float] = time.monotonic) -> None:
        self._gap = gap  # quiet means: nothing in flight and nothing seen for this long
        self._clock = clock
        self._lock = threading.Lock()
        self._in_flight = 0
        self._last_seen = 0.0
        self._idle = threading.Event()
        self._idle.set()

    @contextmanager
    def request(self) -> Iterator[None]:
        with self._lock:
            self._in_flight += 1
            self._idle.clear()
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1
                self._last_seen = self._clock()
                if not self._in_flight:
                    self._idle.set()

    def wait_quiet(self, timeout: float) -> bool:
        """Until the server is quiet, or ``timeout`` seconds; True if it went quiet."""
        deadline = self._clock() + timeout
        while (left := deadline - self._clock()) > 0:
            if not self._idle.wait(left):
                return False
            since = self._clock() - self._last_seen
            if since >= self._gap:
                return True
            time.sleep(min(self._gap - since, left))
        return False


class LocalWorker:
    """Drains the SQLite queue in a background thread of the ``serve`` process.

    With an ``Activity``, each event waits (at most ``max_deferral`` seconds) until no request is in flight:
    the hooks on a caller's critical path get the process (and its GIL) first, ingestion catches up between
    requests and after a burst, and still makes progress under constant load.
    """

    def __init__(
        self,
        queue: SqliteQueue,
        process: Callable[[str], object],
        *,
        max_attempts: int = 5,
        backoff_seconds: float = 1.0,
        poll_seconds: float = 0.1,
        activity: Activity | None = None,
        max_deferral: float = 0.05,
    ) -> None:
        self._queue = queue
        self._process = process
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._poll = poll_seconds
        self._activity = activity
        self._max_deferral = max_deferral
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> bool:
        """Process one ready message; False when none was ready."""
        claimed = self._queue.claim()
        if claimed is None:
            return False
        key, attempt = claimed
        try:
            self._process(key)
        except Exception as exc:  # any failure is retried, then dead-lettered; never kills the loop
            dead = self._queue.fail(key, failure(exc), max_attempts=self._max_attempts, backoff_seconds=self._backoff)
            log.warning(
                "post-call event failed (attempt %d, %s)%s",
                attempt,
                failure(exc),
                "; dead-lettered" if dead else "",
            )
        else:
            self._queue.ack(key)
        return True

    def drain(self, timeout: float = 10.0) -> None:
        """Process until nothing is ready (tests and the ``replay`` command)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.run_once():
            pass

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="agentic-memory-worker", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self._activity is not None:
                self._activity.wait_quiet(self._max_deferral)
            try:
                busy = self.run_once()
            except Exception:  # the queue itself failed; wait and try again
                log.exception("local worker loop error")
                busy = False
            if not busy:
                self._stop.wait(self._poll)
