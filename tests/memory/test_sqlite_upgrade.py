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
