"""``agentic-memory sweep`` on a local data dir: reports what it deleted; a second run deletes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from functions.cli import app
from shared.ingest.local import FileArchive
from shared.ingest.ports import ArchivedEvent
from shared.memory.models import Memory
from shared.memory.sqlite import SqliteMemoryStore

AGENT = "elevenlabs_customer_support"
CALLER = "+15555550123"


def test_sweep_command(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    store = SqliteMemoryStore(tmp_path / "memories.db")
    store.add([
        Memory("live", CALLER, AGENT, "factual", "Kept", now - timedelta(days=1), now + timedelta(days=1)),
        Memory("gone", CALLER, AGENT, "semantic", "Expired", now - timedelta(days=91), now - timedelta(days=1)),
    ])  # fmt: skip
    store.close()
    archive = FileArchive(tmp_path / "archive")
    archive.put_if_absent(ArchivedEvent("old", b"{}", now - timedelta(days=800), AGENT))
    archive.put_if_absent(ArchivedEvent("recent", b"{}", now - timedelta(days=3), AGENT))
    runner = CliRunner()
    args = ["sweep", "--data-dir", str(tmp_path), "--agent-type", AGENT]

    first = runner.invoke(app, [*args, "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output) == {"memories": 1, "archived_events": 1}
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    assert "deleted 0 memories" in second.output and "0 archived events older than 730 days" in second.output
    assert [entry.key for entry in archive.entries()] == ["recent"]


def test_sweep_command_fails_clearly_on_an_unknown_agent_type(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["sweep", "--data-dir", str(tmp_path), "--agent-type", "nope"])
    assert result.exit_code == 1 and "unknown agent type" in result.output
