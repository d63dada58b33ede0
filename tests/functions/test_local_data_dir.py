"""The local data dir (``serve``, the CLI): what it generates and how it keeps it."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from functions.cli import app
from functions.local import build_local
from shared.http import Request
from shared.keyed_hash import MIN_KEY_CHARS
from shared.settings import Settings
from tests.conftest import (
    CALLER,
    TEST_SECRETS,
    elevenlabs_post_call,
    make_local_runtime,
    pseudonymizing_config,
    sign_elevenlabs,
)

AGENT = "elevenlabs_customer_support"


def test_serve_generates_keys_long_enough_to_start_with(tmp_path: Path) -> None:
    """A pseudonymization key shorter than ``MIN_KEY_CHARS`` is refused at start-up: ``serve`` must not make one."""
    data_dir = tmp_path / "data"
    settings = Settings.from_environ(
        {}, agent_type=AGENT, data_dir=data_dir, config_path=pseudonymizing_config(tmp_path)
    )
    local = build_local(settings, environ={})
    try:
        generated = json.loads((data_dir / "secrets.json").read_text())
        assert len(generated["PSEUDONYMIZATION_KEY"]) >= MIN_KEY_CHARS
        assert len(generated["CALLER_REF_KEY"]) >= MIN_KEY_CHARS
        assert local.runtime.service.identity.user_id(CALLER).startswith("u_")
    finally:
        local.close()


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask, under which SQLite and ``write_text`` create files world-readable."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def modes(data_dir: Path) -> dict[str, int]:
    """Every file and directory under ``data_dir`` (itself as ".") and its permission bits."""
    found = {".": stat.S_IMODE(data_dir.stat().st_mode)}
    for path in data_dir.rglob("*"):
        found[str(path.relative_to(data_dir))] = stat.S_IMODE(path.stat().st_mode)
    return found


def test_the_data_dir_is_0700_and_every_file_in_it_0600_after_a_call_is_stored_and_processed(
    tmp_path: Path, umask_022: None
) -> None:
    """They were 0644 (memories.db, queue.db and their -wal and -shm, the archive's metadata) in a 0755 dir: any
    account on the machine could read callers' numbers, words and call ids."""
    data_dir = tmp_path / "home" / "data"
    local = build_local(Settings.from_environ({}, agent_type=AGENT, data_dir=data_dir), environ={})
    try:
        hmac_key = json.loads((data_dir / "secrets.json").read_text())["ELEVENLABS_HMAC_KEY"]
        body = json.dumps(elevenlabs_post_call(conversation_id="conv_modes")).encode()
        headers = {"ElevenLabs-Signature": sign_elevenlabs(body, key=hmac_key)}
        assert local.runtime.app.handle(Request.build("POST", "/post-call", headers, body)).status == 200
        local.worker.drain()
        assert local.runtime.service.manager.recent(CALLER)
        found = modes(data_dir)
    finally:
        local.close()
    names = {name.split("/")[-1].split(".", 1)[-1] for name in found}
    for expected in ("db", "db-wal", "db-shm", "json", "body", "claim"):
        assert expected in names, (expected, sorted(found))  # each kind of file is there to be checked
    assert {"memories.db-wal", "queue.db-wal", "secrets.json", "archive"} <= set(found)
    wrong = {name: oct(mode) for name, mode in found.items() if mode != (0o700 if name in (".", "archive") else 0o600)}
    assert wrong == {}
    assert stat.S_IMODE((tmp_path / "home").stat().st_mode) == 0o700  # a parent made for the data dir, too


def test_memories_export_writes_its_file_0600(tmp_path: Path, umask_022: None, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in TEST_SECRETS.items():
        monkeypatch.setenv(name, value)
    data_dir = tmp_path / "data"
    local = make_local_runtime(data_dir, AGENT)
    body = json.dumps(elevenlabs_post_call(conversation_id="conv_export")).encode()
    assert local.call("POST", "/post-call", body, {"ElevenLabs-Signature": sign_elevenlabs(body)}).status == 200
    local.drain()
    fresh, older = tmp_path / "fresh.jsonl", tmp_path / "older.jsonl"
    older.write_text("an earlier export\n")
    older.chmod(0o644)
    for out in (fresh, older):
        result = CliRunner().invoke(app, ["memories", "export", "--data-dir", str(data_dir), "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert CALLER in out.read_text()
        assert stat.S_IMODE(out.stat().st_mode) == 0o600, out
    local.runtime.store.close()
    local.queue.close()
