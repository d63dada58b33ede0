"""``memories import`` into an agent type that pseudonymizes callers takes only pseudonyms (``u_`` + 40 hex): a memory
of a raw number, imported as it was, put the number in a store that promises never to hold one, under an id no call
reads and no erasure by that number finds (it answered "erased 0 memories" and the memory stayed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from functions.cli import app
from shared.identity import CallerIdentity
from shared.memory.models import Memory
from shared.memory.sqlite import SqliteMemoryStore
from shared.memory.transfer import to_record
from shared.secrets import Secret
from tests.conftest import CALLER, TEST_SECRETS, pseudonymizing_config

runner = CliRunner()
AGENT = "elevenlabs_customer_support"


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in TEST_SECRETS.items():
        monkeypatch.setenv(name, value)
    for name in ("MEMORY_BACKEND", "AGENT_TYPE", "ARCHIVE_BUCKET", "AGENTIC_MEMORY_CONFIG"):
        monkeypatch.delenv(name, raising=False)


def _file(tmp_path: Path, user_id: str) -> Path:
    now = datetime.now(UTC)
    memory = Memory(
        id="m_raw_number",
        user_id=user_id,
        agent_type=AGENT,
        type="factual",
        text="Keeps bees behind the marrowfield barn.",
        created_at=now - timedelta(days=1),
        expires_at=now + timedelta(days=300),
    )
    path = tmp_path / "memories.jsonl"
    path.write_text(json.dumps(to_record(memory)) + "\n")
    return path


def _stored(data: Path) -> list[Memory]:
    store = SqliteMemoryStore(data / "memories.db")
    try:
        return list(store.scan(AGENT, now=datetime.now(UTC)))
    finally:
        store.close()


def test_a_raw_number_is_refused_where_callers_are_pseudonymized(tmp_path: Path) -> None:
    config, data = pseudonymizing_config(tmp_path), tmp_path / "data"
    source = _file(tmp_path, CALLER)
    common = ["--data-dir", str(data), "--agent-type", AGENT, "--config", str(config)]
    result = runner.invoke(app, ["memories", "import", str(source), *common])
    assert result.exit_code != 0
    assert "line 1: field user_id" in result.output and "pseudonym" in result.output
    assert CALLER not in result.output and "marrowfield" not in result.output
    assert _stored(data) == []
    assert b"5555550123" not in (data / "memories.db").read_bytes()


def test_a_pseudonym_is_imported_and_erased_by_the_number(tmp_path: Path) -> None:
    config, data = pseudonymizing_config(tmp_path), tmp_path / "data"
    key = Secret(TEST_SECRETS["PSEUDONYMIZATION_KEY"])
    user_id = CallerIdentity(pseudonym_key=key).user_id(CALLER)
    source = _file(tmp_path, user_id)
    common = ["--data-dir", str(data), "--agent-type", AGENT, "--config", str(config)]
    result = runner.invoke(app, ["memories", "import", str(source), *common])
    assert result.exit_code == 0, result.output
    assert [m.user_id for m in _stored(data)] == [user_id]
    result = runner.invoke(app, ["memories", "erase", CALLER, "--yes", *common])
    assert result.exit_code == 0 and "erased 1 memories" in result.output, result.output
    assert _stored(data) == []


def test_a_raw_number_is_still_imported_where_callers_are_not_pseudonymized(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = runner.invoke(
        app, ["memories", "import", str(_file(tmp_path, CALLER)), "--data-dir", str(data), "--agent-type", AGENT]
    )
    assert result.exit_code == 0, result.output
    assert [m.user_id for m in _stored(data)] == [CALLER]
