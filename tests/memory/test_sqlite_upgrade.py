"""A store written before the full-text ``label`` column is upgraded in place and searches as before."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.memory.models import Memory
from shared.memory.sqlite import SqliteMemoryStore

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def test_old_index_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "memories.db"
    store = SqliteMemoryStore(path)
    store.add(
        [
            Memory("m1", "+15555550123", "t", "semantic", "My dog Biscuit has surgery", NOW, NOW + timedelta(days=9)),
            Memory(
                "m2",
                "+15555550123",
                "t",
                "factual",
                "caller name: Dana",
                NOW,
                NOW + timedelta(days=9),
                metadata={"field": "caller_name", "value": "Dana"},
            ),
        ]
    )
    store.close()
    db = sqlite3.connect(path)
    db.execute("DROP TABLE memories_fts")
    db.execute("CREATE VIRTUAL TABLE memories_fts USING fts5 (scope, text, tokenize = 'porter unicode61')")
    db.commit()
    db.close()
    upgraded = SqliteMemoryStore(path)
    found = upgraded.search("+15555550123", "t", "dog", now=NOW, limit=3)
    assert [m.memory.id for m in found] == ["m1"]
    assert [m.memory.id for m in upgraded.search("+15555550123", "t", "Dana", now=NOW, limit=3)] == ["m2"]


def test_a_callers_memories_are_read_from_one_index_range_without_a_sort(tmp_path: Path) -> None:
    path = tmp_path / "memories.db"
    SqliteMemoryStore(path).close()
    db = sqlite3.connect(path)
    db.execute("DROP INDEX memories_caller_order")  # as stores written before it were indexed
    db.execute("CREATE INDEX memories_caller ON memories (agent_type, user_id, created_at)")
    db.execute("CREATE INDEX memories_scope ON memories (agent_type, user_id, created_at DESC)")
    db.commit()
    db.close()
    store = SqliteMemoryStore(path)
    store.add(
        [Memory(f"m{n}", "+15555550123", "t", "semantic", f"said {n}", NOW - timedelta(days=n % 2)) for n in range(4)]
    )
    # newest first; among memories of the same moment, by id descending (as DynamoDB and Firestore order them)
    assert [m.id for m in store.get_all("+15555550123", "t", now=NOW)] == ["m2", "m0", "m3", "m1"]
    db = sqlite3.connect(path)
    indexes = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "memories_caller_order" in indexes and not {"memories_caller", "memories_scope"} & indexes
    plan = " ".join(
        str(row[3])
        for row in db.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM memories WHERE agent_type = ? AND user_id = ? "
            "AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at DESC, id DESC",
            ("t", "+15555550123", 0.0),
        )
    )
    assert "memories_caller_order" in plan and "TEMP B-TREE" not in plan
