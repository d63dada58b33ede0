"""The embedded backend: standard-library sqlite3, WAL; search is the shared ranking over the caller's memories.

Search loads the caller's live memories (one index range, read backwards: agent type, user id, newest first, then
id descending as DynamoDB's sort key and Firestore's document names order a call's memories; no sort step) and
ranks them with
``shared.memory.ranking``, as every store we run does. The FTS5 index (a scope token per caller) is still kept
for stores written before; it no longer decides what a search returns.
``secure_delete`` is on: erased rows are overwritten, not left readable in free pages.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.errors import NotFound, StoreUnavailable
from shared.memory.models import Memory, field_label
from shared.memory.store import MemoryStore
from shared.private_files import create_private, private_dir

log = logging.getLogger("agentic_memory.sqlite")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS memories (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL,
    agent_type TEXT NOT NULL,
    type TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL,
    conversation_id TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    vector BLOB
);
CREATE INDEX IF NOT EXISTS memories_caller_order ON memories (agent_type, user_id, created_at, id);
DROP INDEX IF EXISTS memories_caller;
DROP INDEX IF EXISTS memories_scope;
CREATE INDEX IF NOT EXISTS memories_user ON memories (user_id);
CREATE INDEX IF NOT EXISTS memories_expiry ON memories (expires_at) WHERE expires_at IS NOT NULL;
"""
_FTS_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS memories_fts USING fts5 (scope, text, label, tokenize = 'porter unicode61')"
)
BULK_DELETE = 1000  # rows from which a delete defers full-text merges
BULK_CACHE_KIB = -65536  # page cache during a bulk delete (negative: KiB), back to the default afterwards
_FTS_DEFER = [("automerge", 0), ("crisismerge", 2000)]
_FTS_DEFAULTS = [("automerge", 4), ("crisismerge", 16)]  # FTS5's own defaults
_COLUMNS = "id, user_id, agent_type, type, text, created_at, expires_at, conversation_id, metadata, vector"
_CALLER_COLUMNS = "id, type, text, created_at, expires_at, conversation_id, metadata, vector"  # user and type known


def _scope(user_id: str, agent_type: str) -> str:
    return "s" + hashlib.sha256(f"{agent_type}\x00{user_id}".encode()).hexdigest()[:24] + "0"


_metadata = json.JSONDecoder().decode  # ``json.loads`` less its keyword handling: once a row, on every search


def _ts(moment: datetime) -> float:
    return moment.timestamp()


def _dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


# What a row edited by hand or damaged on disk raises when it is read: metadata that is not a JSON object, a time
# that is not a number or out of range. Such a row is skipped (and counted in a log line), never a 500 for the caller.
DAMAGED_ROW = (ValueError, TypeError, OverflowError, OSError)


def _object(text: object) -> dict[str, Any]:
    value = _metadata(str(text))
    if not isinstance(value, dict):
        raise TypeError("metadata is not a JSON object")
    return value


def _row_to_memory(row: sqlite3.Row | tuple[object, ...]) -> Memory:
    mid, user_id, agent_type, mtype, text, created, expires, conversation_id, metadata, vector = tuple(row)[:10]
    created_at = _dt(created)
    if created_at is None:
        raise TypeError("created_at is missing")
    return Memory(
        id=str(mid),
        user_id=str(user_id),
        agent_type=str(agent_type),
        type=str(mtype),
        text=str(text),
        created_at=created_at,
        expires_at=_dt(expires),
        conversation_id=None if conversation_id is None else str(conversation_id),
        metadata=_object(metadata),
        vector=bytes(vector) if isinstance(vector, bytes | memoryview) and vector else None,
    )


def _caller_memory(user_id: str, agent_type: str, row: tuple[Any, ...]) -> Memory:
    """A row of ``_CALLER_COLUMNS``, read on every search: the values as SQLite typed them (TEXT a str, BLOB bytes)."""
    mid, mtype, text, created, expires, conversation_id, metadata, vector = row
    return Memory.loaded(
        mid,
        user_id,
        agent_type,
        mtype,
        text,
        datetime.fromtimestamp(created, UTC),
        None if expires is None else datetime.fromtimestamp(expires, UTC),
        conversation_id,
        _object(metadata),
        vector or None,
    )


def _readable(rows: Iterable[tuple[Any, ...]], read: Callable[[tuple[Any, ...]], Memory]) -> list[Memory]:
    """The rows that read as memories; a damaged one is skipped, so the caller's other memories still answer."""
    memories, damaged = [], 0
    for row in rows:
        try:
            memories.append(read(row))
        except DAMAGED_ROW:
            damaged += 1
    if damaged:
        log.warning("skipped %d damaged memory row(s) of the embedded store; the others were read", damaged)
    return memories


def _indexed(memory: Memory) -> tuple[str, str]:
    """What the full-text index holds: an extracted field's value as text and its name as a label."""
    field, value = memory.metadata.get("field"), memory.metadata.get("value")
    if isinstance(field, str) and isinstance(value, str) and value:
        return value, field_label(field)
    return memory.text, ""


_LIVE = "(expires_at IS NULL OR expires_at > ?)"


class SqliteMemoryStore(MemoryStore):
    reads_over_network = False

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        private_dir(self._path.parent)
        self._local = threading.local()
        with self._connection() as db:
            db.executescript(_SCHEMA)
            db.execute(_FTS_TABLE)
            self._upgrade_index(db)
            self._upgrade_vectors(db)

    def _upgrade_vectors(self, db: sqlite3.Connection) -> None:
        """Stores written before meaning vectors: add the column; old memories get vectors on first use."""
        columns = [column[1] for column in db.execute("PRAGMA table_info(memories)")]
        if "vector" not in columns:
            db.execute("ALTER TABLE memories ADD COLUMN vector BLOB")

    def _upgrade_index(self, db: sqlite3.Connection) -> None:
        """Stores written before the ``label`` column: rebuild the full-text index once from the memories."""
        columns = [column[0] for column in db.execute("SELECT * FROM memories_fts LIMIT 0").description]
        if "label" in columns:
            return
        db.execute("BEGIN IMMEDIATE")
        db.execute("DROP TABLE memories_fts")
        db.execute(_FTS_TABLE)
        for row in db.execute(f"SELECT {_COLUMNS}, rowid FROM memories").fetchall():
            memory = _row_to_memory(row)
            text, label = _indexed(memory)
            db.execute(
                "INSERT INTO memories_fts (rowid, scope, text, label) VALUES (?, ?, ?, ?)",
                (row[10], _scope(memory.user_id, memory.agent_type), text, label),
            )
        db.execute("COMMIT")

    @property
    def path(self) -> Path:
        return self._path

    def _connect(self) -> sqlite3.Connection:
        create_private(self._path)  # SQLite would create it 0644 (less the umask), and its -wal and -shm alike
        db = sqlite3.connect(self._path, timeout=10, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA secure_delete=ON")
        db.execute("PRAGMA busy_timeout=10000")
        return db

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        try:
            if db is None:
                db = self._local.db = self._connect()
            yield db
        except sqlite3.Error as exc:
            raise StoreUnavailable("the embedded memory store failed") from exc

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def add(self, memories: Sequence[Memory]) -> int:
        added = 0
        with self._transaction() as db:
            for memory in memories:
                cursor = db.execute(
                    f"INSERT OR IGNORE INTO memories ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        memory.id,
                        memory.user_id,
                        memory.agent_type,
                        memory.type,
                        memory.text,
                        _ts(memory.created_at),
                        None if memory.expires_at is None else _ts(memory.expires_at),
                        memory.conversation_id,
                        json.dumps(memory.metadata, separators=(",", ":"), sort_keys=True),
                        memory.vector,
                    ),
                )
                if cursor.rowcount:
                    text, label = _indexed(memory)
                    db.execute(
                        "INSERT INTO memories_fts (rowid, scope, text, label) VALUES (?, ?, ?, ?)",
                        (cursor.lastrowid, _scope(memory.user_id, memory.agent_type), text, label),
                    )
                    added += 1
        return added

    def get_all(
        self,
        user_id: str,
        agent_type: str,
        *,
        now: datetime,
        types: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[Memory]:
        sql = f"SELECT {_CALLER_COLUMNS} FROM memories WHERE agent_type = ? AND user_id = ? AND {_LIVE}"
        params: list[object] = [agent_type, user_id, _ts(now)]
        if types is not None:
            sql += f" AND type IN ({','.join('?' * len(types))})"
            params.extend(types)
        sql += " ORDER BY created_at DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self._connection() as db:
            return _readable(db.execute(sql, params), lambda row: _caller_memory(user_id, agent_type, row))

    def set_vectors(self, memories: Sequence[Memory]) -> int:
        with self._transaction() as db:
            return sum(
                db.execute("UPDATE memories SET vector = ? WHERE id = ?", (memory.vector, memory.id)).rowcount
                for memory in memories
                if memory.vector is not None
            )

    def _delete_where(self, db: sqlite3.Connection, where: str, params: Sequence[object]) -> int:
        """Inside the caller's transaction. A bulk delete (a sweep) defers the full-text index's merges to the end
        and gets a larger page cache: 100,000 rows go in seconds instead of tens (``benchmarks/bench_sweep.py``);
        the merge settings are restored before commit, and ``compact()`` merges what the delete left."""
        rowids = [row[0] for row in db.execute(f"SELECT rowid FROM memories WHERE {where} ORDER BY rowid", params)]
        bulk = len(rowids) >= BULK_DELETE
        if bulk:
            cache = db.execute("PRAGMA cache_size").fetchone()[0]
            db.execute(f"PRAGMA cache_size={BULK_CACHE_KIB}")
            db.executemany("INSERT INTO memories_fts (memories_fts, rank) VALUES (?, ?)", _FTS_DEFER)
        try:
            for start in range(0, len(rowids), 500):
                chunk = rowids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                db.execute(f"DELETE FROM memories_fts WHERE rowid IN ({marks})", chunk)
                db.execute(f"DELETE FROM memories WHERE rowid IN ({marks})", chunk)
        finally:
            if bulk:
                db.executemany("INSERT INTO memories_fts (memories_fts, rank) VALUES (?, ?)", _FTS_DEFAULTS)
                db.execute(f"PRAGMA cache_size={int(cache)}")
        return len(rowids)

    def delete(self, memory_id: str) -> None:
        with self._transaction() as db:
            if not self._delete_where(db, "id = ?", [memory_id]):
                raise NotFound("no such memory")

    def erase_user(self, user_id: str) -> int:
        with self._transaction() as db:
            erased = self._delete_where(db, "user_id = ?", [user_id])
        self.compact()
        return erased

    def delete_expired(self, now: datetime) -> int:
        with self._transaction() as db:
            return self._delete_where(db, "expires_at IS NOT NULL AND expires_at <= ?", [_ts(now)])

    def compact(self) -> None:
        """Leave nothing deleted readable: merge the FTS index and checkpoint the WAL into the main file."""
        with self._connection() as db:
            db.execute("INSERT INTO memories_fts (memories_fts) VALUES ('optimize')")
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def count(self) -> int:
        with self._connection() as db:
            return int(db.execute("SELECT count(*) FROM memories").fetchone()[0])

    def users(self, agent_type: str | None = None, *, now: datetime | None = None) -> list[str]:
        """Callers with a memory (of this agent type, live at ``now`` when given)."""
        sql = "SELECT DISTINCT user_id FROM memories WHERE 1=1"
        params: list[object] = []
        if agent_type:
            sql += " AND agent_type = ?"
            params.append(agent_type)
        if now is not None:
            sql += " AND (expires_at IS NULL OR expires_at > ?)"
            params.append(_ts(now))
        with self._connection() as db:
            return [row[0] for row in db.execute(sql, params)]

    def scan(self, agent_type: str, *, now: datetime) -> Iterator[Memory]:
        sql = f"SELECT {_COLUMNS} FROM memories WHERE agent_type = ? AND (expires_at IS NULL OR expires_at > ?)"
        with self._connection() as db:
            rows = db.execute(sql, [agent_type, _ts(now)]).fetchall()
        return iter(_readable(rows, _row_to_memory))

    def page(self, user_id: str, agent_type: str, *, now: datetime, limit: int, offset: int = 0) -> list[Memory]:
        if limit <= 0:
            return []
        sql = (
            f"SELECT {_CALLER_COLUMNS} FROM memories WHERE agent_type = ? AND user_id = ? "
            "AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
        )
        with self._connection() as db:
            rows = db.execute(sql, [agent_type, user_id, _ts(now), limit, max(offset, 0)]).fetchall()
        return _readable(rows, lambda row: _caller_memory(user_id, agent_type, row))

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
