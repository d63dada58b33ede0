"""The embedded backend: standard-library sqlite3, WAL, FTS5 (porter) ranking within one caller.

Each caller's memories carry a scope token (a hash of agent type and user id) in the full-text index, so a
search intersects the caller's postings with the query's in SQLite's C code instead of scanning other callers.
``secure_delete`` is on: erased rows are overwritten, not left readable in free pages.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from shared.errors import NotFound, StoreUnavailable
from shared.memory.models import Memory, ScoredMemory
from shared.memory.ranking import TermHits, bm25
from shared.memory.store import MemoryStore

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
    metadata TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS memories_scope ON memories (agent_type, user_id, created_at DESC);
CREATE INDEX IF NOT EXISTS memories_user ON memories (user_id);
CREATE INDEX IF NOT EXISTS memories_expiry ON memories (expires_at) WHERE expires_at IS NOT NULL;
"""
_FTS_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS memories_fts USING fts5 (scope, text, label, tokenize = 'porter unicode61')"
)
_WORD = re.compile(r"\w+", re.UNICODE)
BULK_DELETE = 1000  # rows from which a delete defers full-text merges
BULK_CACHE_KIB = -65536  # page cache during a bulk delete (negative: KiB), back to the default afterwards
_FTS_DEFER = [("automerge", 0), ("crisismerge", 2000)]
_FTS_DEFAULTS = [("automerge", 4), ("crisismerge", 16)]  # FTS5's own defaults
_COLUMNS = "id, user_id, agent_type, type, text, created_at, expires_at, conversation_id, metadata"


def _scope(user_id: str, agent_type: str) -> str:
    return "s" + hashlib.sha256(f"{agent_type}\x00{user_id}".encode()).hexdigest()[:24] + "0"


def _ts(moment: datetime) -> float:
    return moment.timestamp()


def _dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _row_to_memory(row: sqlite3.Row | tuple[object, ...]) -> Memory:
    mid, user_id, agent_type, mtype, text, created, expires, conversation_id, metadata = tuple(row)[:9]
    created_at = _dt(created)
    assert created_at is not None
    return Memory(
        id=str(mid),
        user_id=str(user_id),
        agent_type=str(agent_type),
        type=str(mtype),
        text=str(text),
        created_at=created_at,
        expires_at=_dt(expires),
        conversation_id=None if conversation_id is None else str(conversation_id),
        metadata=json.loads(str(metadata)),
    )


_STOPWORDS = frozenset(
    "a an and are as at be but by did do does for from had has have how i in is it its me my of on or "
    "our so that the their them they this to was we were what when where which who why will with you your".split()
)


LABEL_WEIGHT = 0.1  # a field's name ("caller name") matters less than what was said or extracted


def _indexed(memory: Memory) -> tuple[str, str]:
    """What search sees: an extracted field's value as text and its name as a lightly weighted label."""
    field, value = memory.metadata.get("field"), memory.metadata.get("value")
    if isinstance(field, str) and isinstance(value, str) and value:
        return value, field.replace("_", " ")
    return memory.text, ""


MAX_QUERY_WORDS = 12
_LIVE = "(expires_at IS NULL OR expires_at > ?)"
_FTS_ROWS = "SELECT rowid FROM memories_fts WHERE memories_fts MATCH ?"
_COUNT_SCOPE = "SELECT count(*) FROM memories WHERE agent_type = ? AND user_id = ?"


def _query_words(query: str) -> list[str]:
    """The query's distinct words; stopwords and one-letter words are dropped unless nothing else is left."""
    words = list(dict.fromkeys(word.lower().replace('"', "") for word in _WORD.findall(query)))
    meaningful = [word for word in words if len(word) > 1 and word not in _STOPWORDS]
    return (meaningful or words)[:MAX_QUERY_WORDS]


class SqliteMemoryStore(MemoryStore):
    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._connection() as db:
            db.executescript(_SCHEMA)
            db.execute(_FTS_TABLE)
            self._upgrade_index(db)

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
                (row[9], _scope(memory.user_id, memory.agent_type), text, label),
            )
        db.execute("COMMIT")

    @property
    def path(self) -> Path:
        return self._path

    def _connect(self) -> sqlite3.Connection:
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
                    f"INSERT OR IGNORE INTO memories ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        sql = f"SELECT {_COLUMNS} FROM memories WHERE agent_type = ? AND user_id = ? AND {_LIVE}"
        params: list[object] = [agent_type, user_id, _ts(now)]
        if types is not None:
            sql += f" AND type IN ({','.join('?' * len(types))})"
            params.extend(types)
        sql += " ORDER BY created_at DESC, rowid DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self._connection() as db:
            return [_row_to_memory(row) for row in db.execute(sql, params)]

    def search(
        self,
        user_id: str,
        agent_type: str,
        query: str,
        *,
        now: datetime,
        limit: int,
        types: Sequence[str] | None = None,
    ) -> list[ScoredMemory]:
        words = _query_words(query)
        if not words or limit <= 0:
            return []
        scope = _scope(user_id, agent_type)
        with self._connection() as db:
            hits = [
                TermHits(
                    {row for (row,) in db.execute(_FTS_ROWS, (f'scope : "{scope}" AND {column} : "{word}"',))}, weight
                )
                for word in words
                for column, weight in (("text", 1.0), ("label", LABEL_WEIGHT))
            ]
            candidates = set().union(*(h.rows for h in hits))
            if not candidates:
                return []
            marks = ",".join("?" * len(candidates))
            sql = (
                f"SELECT {_COLUMNS}, rowid, length(text) FROM memories WHERE rowid IN ({marks})"
                f" AND agent_type = ? AND user_id = ? AND {_LIVE}"
            )
            params: list[object] = [*candidates, agent_type, user_id, _ts(now)]
            if types is not None:
                sql += f" AND type IN ({','.join('?' * len(types))})"
                params.extend(types)
            rows = {int(row[9]): row for row in db.execute(sql, params)}
            total = int(db.execute(_COUNT_SCOPE, (agent_type, user_id)).fetchone()[0])
        scores = bm25(hits, {row: int(data[10]) for row, data in rows.items()}, total)
        best = sorted(scores, key=lambda row: (-scores[row], -float(rows[row][5])))[:limit]
        return [ScoredMemory(_row_to_memory(rows[row]), scores[row]) for row in best]

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
        return (_row_to_memory(row) for row in rows)

    def page(self, user_id: str, agent_type: str, *, now: datetime, limit: int, offset: int = 0) -> list[Memory]:
        if limit <= 0:
            return []
        sql = (
            f"SELECT {_COLUMNS} FROM memories WHERE agent_type = ? AND user_id = ? "
            "AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?"
        )
        with self._connection() as db:
            rows = db.execute(sql, [agent_type, user_id, _ts(now), limit, max(offset, 0)]).fetchall()
        return [_row_to_memory(row) for row in rows]

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
