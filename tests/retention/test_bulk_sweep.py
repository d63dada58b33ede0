"""A bulk sweep (past the SQLite store's bulk threshold) deletes everything expired, leaves no expired text
readable in the files, keeps search working and restores the full-text index's merge settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.config.models import MemoryConfig
from shared.ingest.local import FileArchive
from shared.memory.models import Memory
from shared.memory.sqlite import BULK_DELETE, SqliteMemoryStore
from shared.retention import RetentionSweeper

NOW = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
AGENT = "support"


def test_bulk_sweep(tmp_path: Path) -> None:
    store = SqliteMemoryStore(tmp_path / "memories.db")
    expired = [
        Memory(f"e{i}", f"+1555000{i % 50:04d}", AGENT, "semantic", f"Zorblatt expired note {i}",
               NOW - timedelta(days=100), NOW - timedelta(days=1), f"c{i}")
        for i in range(BULK_DELETE + 500)
    ]  # fmt: skip
    live = [
        Memory(f"l{i}", "+15555550123", AGENT, "factual", f"Quenterly live note {i}", NOW, NOW + timedelta(days=9))
        for i in range(20)
    ]
    store.add(expired[:700] + live[:10] + expired[700:] + live[10:])
    with store._connection() as db:
        before = db.execute("SELECT k, v FROM memories_fts_config ORDER BY k").fetchall()
        cache = db.execute("PRAGMA cache_size").fetchone()[0]

    report = RetentionSweeper(store, FileArchive(tmp_path / "archive"), AGENT, MemoryConfig(), clock=lambda: NOW).run()

    assert report.memories == len(expired) and store.count() == len(live)
    assert len(store.search("+15555550123", AGENT, "quenterly note", now=NOW, limit=50)) == 20
    assert store.search("+15550000001", AGENT, "zorblatt", now=NOW - timedelta(days=50), limit=5) == []
    with store._connection() as db:
        after = dict(db.execute("SELECT k, v FROM memories_fts_config").fetchall())
        assert db.execute("PRAGMA cache_size").fetchone()[0] == cache
    assert after.get("automerge", 4) == 4 and after.get("crisismerge", 16) == 16
    assert {k for k, _ in before} <= set(after)
    for path in tmp_path.glob("memories.db*"):
        assert b"zorblatt" not in path.read_bytes().lower(), path.name
    store.close()
