"""``agentic-memory analytics user | agent`` on a local data dir: tables, text bars, PNG and JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from functions.cli import app
from shared.memory.models import Memory
from shared.memory.sqlite import SqliteMemoryStore

AGENT = "elevenlabs_customer_support"
CALLER = "+15555550123"
OTHER = "+15555550199"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    now = datetime.now(UTC)
    store = SqliteMemoryStore(tmp_path / "memories.db")
    memories = [
        Memory(f"m{i}", CALLER, AGENT, "factual", "Question about the invoice", now - timedelta(days=i),
               now + timedelta(days=30), conversation_id=f"c{i}")
        for i in range(3)
    ] + [Memory("o1", OTHER, AGENT, "semantic", "Password reset", now - timedelta(days=1), None, "o-c1")]  # fmt: skip
    store.add(memories)
    store.close()
    return tmp_path


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), env={"AGENTIC_MEMORY_DATA_DIR": "", "AGENT_TYPE": AGENT})
    assert result.exit_code == 0, result.output
    return result.output


def test_agent_json_matches_the_tables_and_the_png(data_dir: Path) -> None:
    report = json.loads(run("analytics", "agent", "--days", "7", "--json", "--data-dir", str(data_dir)))
    assert (report["total_callers"], report["total_memories"], report["calls"]) == (2, 4, 4)
    assert report["returning_callers"] == 1 and report["returning_caller_rate"] == 0.5
    png = data_dir / "calls.png"
    text = run("analytics", "agent", "--days", "7", "--png", str(png), "--data-dir", str(data_dir))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "returning-caller rate" in text and "50.0%" in text and "+155***0123" in text
    assert CALLER not in text and OTHER not in text
    bars = [line for line in text.splitlines() if "│" in line and line[:4].isdigit()]
    assert [int(line.rsplit(" ", 1)[1]) for line in bars] == [p["calls"] for p in report["calls_per_day"]]


def test_user_tables(data_dir: Path) -> None:
    text = run("analytics", "user", "+1 555-555-0123", "--data-dir", str(data_dir))
    assert "+155***0123" in text and "billing" in text and "medium" in text
    report = json.loads(run("analytics", "user", CALLER, "--json", "--data-dir", str(data_dir)))
    assert report["total_memories"] == 3 and report["calls"] == 3 and report["memories_by_type"] == {"factual": 3}


def test_bad_days_is_refused(data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["analytics", "agent", "--days", "0", "--data-dir", str(data_dir)])
    assert result.exit_code != 0


def test_png_with_by_variant_is_refused_not_silently_skipped(data_dir: Path) -> None:
    png = data_dir / "variants.png"
    result = CliRunner().invoke(
        app,
        ["analytics", "agent", "--by", "variant", "--png", str(png), "--data-dir", str(data_dir)],
        env={"AGENTIC_MEMORY_DATA_DIR": "", "AGENT_TYPE": AGENT},
    )
    assert result.exit_code != 0 and "--png" in result.output and "--by variant" in result.output
    assert not png.exists()
