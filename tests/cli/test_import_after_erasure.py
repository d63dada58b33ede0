"""``memories import`` of a file exported before an erasure never brings the erased caller back: the archive's
erasure record is read as the worker reads it for a late post-call. Other callers, and the caller's calls after the
erasure, are imported as usual."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from functions.cli import app
from shared.admin import request_erasure
from shared.identity import CallerIdentity
from shared.ingest.erasures import ErasedCallers
from shared.ingest.local import FileArchive, SqliteQueue
from shared.memory.models import Memory
from shared.memory.sqlite import SqliteMemoryStore
from shared.secrets import Secret
from tests.conftest import (
    CALLER,
    OTHER_CALLER,
    TEST_SECRETS,
    LocalRuntime,
    elevenlabs_post_call,
    make_local_runtime,
    sign_elevenlabs,
)

runner = CliRunner()
AGENT = "elevenlabs_customer_support"
ADMIN = {"X-Admin-Key": TEST_SECRETS["ADMIN_API_KEY"]}


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator's shell: the deployment's secrets (the same CALLER_REF_KEY as the service), no backend set."""
    for name, value in TEST_SECRETS.items():
        monkeypatch.setenv(name, value)
    for name in ("MEMORY_BACKEND", "AGENT_TYPE", "ARCHIVE_BUCKET"):
        monkeypatch.delenv(name, raising=False)


def _post(local: LocalRuntime, caller: str, conversation: str, started: int, words: str) -> None:
    body = json.dumps(
        elevenlabs_post_call(caller=caller, conversation_id=conversation, started=started, user_turns=(words,))
    ).encode()
    answer = local.call("POST", "/post-call", body, {"ElevenLabs-Signature": sign_elevenlabs(body)})
    assert answer.status == 200, answer.body


def _cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_an_export_from_before_an_erasure_does_not_bring_the_caller_back(tmp_path: Path) -> None:
    data = tmp_path / "data"
    local = make_local_runtime(data, AGENT)
    try:
        before = int(time.time()) - 600
        _post(local, CALLER, "conv_before_erasure", before, "My locker code is otterfjord.")
        _post(local, OTHER_CALLER, "conv_other_caller", before, "I like the blue pelican mug.")
        local.drain()
        old_export = tmp_path / "before.jsonl"
        _cli("memories", "export", "--data-dir", str(data), "--agent-type", AGENT, "-o", str(old_export))
        assert "otterfjord" in old_export.read_text() and "pelican" in old_export.read_text()

        assert local.call("DELETE", f"/admin/users/{CALLER}/memories", headers=ADMIN).status == 200
        time.sleep(1.1)  # the next call starts after the erasure
        _post(local, CALLER, "conv_after_erasure", int(time.time()), "New start, my code is walrusgate.")
        local.drain()
        local.runtime.store.erase_user(OTHER_CALLER)  # another caller's memories lost: the import restores them
    finally:
        local.runtime.store.close()
        local.queue.close()

    output = _cli("memories", "import", str(old_export), "--data-dir", str(data), "--agent-type", AGENT)
    assert "of callers erased since" in output
    store = SqliteMemoryStore(data / "memories.db")
    try:
        texts = {m.text for m in store.scan(AGENT, now=datetime.now(UTC))}
    finally:
        store.close()
    assert not any("otterfjord" in text for text in texts)  # the erased call stays erased
    assert any("walrusgate" in text for text in texts)  # the call after the erasure is kept
    assert any("pelican" in text for text in texts)  # the other caller comes back from the file


class DeployedArchive(FileArchive):
    lifecycle_managed = True  # a bucket: erasure finishes in the worker's erase job


def test_a_pending_erase_job_counts_before_the_worker_ran_it(tmp_path: Path) -> None:
    archive = DeployedArchive(tmp_path / "archive")
    identity = CallerIdentity(ref_key=Secret(TEST_SECRETS["CALLER_REF_KEY"]))
    store = SqliteMemoryStore(tmp_path / "memories.db")
    try:
        queue = SqliteQueue(tmp_path / "queue.db")
        request_erasure(CALLER, store=store, archive=archive, queue=queue, identity=identity, agent_type=AGENT)
        queue.close()
    finally:
        store.close()
    erased = ErasedCallers(archive, identity.user_ref)
    now = datetime.now(UTC)

    def memory(user_id: str, at: datetime) -> Memory:
        return Memory(id="m_1", user_id=user_id, agent_type=AGENT, type="factual", text="x", created_at=at)

    assert erased(memory(CALLER, now - timedelta(days=1)))  # a call before the pending erasure
    assert not erased(memory(CALLER, now + timedelta(days=1)))  # a call after it
    assert not erased(memory(OTHER_CALLER, now - timedelta(days=1)))
