"""Must show: an agent type that turns ``identity.pseudonymize`` on keeps the memories and archived events written
before under the plain number; an erasure by that number erases them too. Before, it hashed the number, erased
nothing under the pseudonym, answered 200 with zero counts, and the caller's words stayed in the store and the
archive until their retention ended."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shared.ingest.erasures import ERASED_PREFIX
from shared.ingest.local import FileArchive, LocalWorker, SqliteQueue
from shared.runtime import build_runtime
from shared.secrets import EnvSecrets
from shared.settings import Settings
from tests.conftest import (
    CALLER,
    OTHER_CALLER,
    TEST_SECRETS,
    LocalRuntime,
    elevenlabs_post_call,
    make_local_runtime,
    pseudonymizing_config,
    sign_elevenlabs,
)

ADMIN = {"X-Admin-Key": TEST_SECRETS["ADMIN_API_KEY"]}
AGENT = "elevenlabs_customer_support"
WORDS = "My tortoise is called Barnaby Quellstone."


class BucketLikeArchive(FileArchive):
    lifecycle_managed = True  # deployed: the worker's erase job erases the archived events


def _post(local: LocalRuntime, caller: str, conversation: str) -> None:
    body = json.dumps(elevenlabs_post_call(caller=caller, conversation_id=conversation, user_turns=(WORDS,))).encode()
    assert local.call("POST", "/post-call", body, {"ElevenLabs-Signature": sign_elevenlabs(body)}).status == 200
    local.drain()


def _close(local: LocalRuntime) -> None:
    local.runtime.store.close()
    local.queue.close()


def _before_pseudonymizing(data: Path) -> None:
    """Two callers remembered under their numbers, by the agent type before pseudonymization was turned on."""
    plain = make_local_runtime(data, AGENT)
    try:
        _post(plain, CALLER, "conv_plain_1")
        _post(plain, OTHER_CALLER, "conv_plain_2")
    finally:
        _close(plain)


def _events(local: LocalRuntime) -> list[str]:
    return [e.key for e in local.runtime.archive.entries() if not e.key.startswith(ERASED_PREFIX)]


def _bytes(data: Path) -> bytes:
    return b"".join(path.read_bytes() for path in data.rglob("*") if path.is_file() and path.name != "secrets.json")


def test_erasing_by_the_number_erases_what_was_kept_before_pseudonymizing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _before_pseudonymizing(data)
    local = make_local_runtime(data, AGENT, config_path=pseudonymizing_config(tmp_path))
    try:
        _post(local, CALLER, "conv_pseudo_1")  # and one call since, under the pseudonym
        response = local.call("DELETE", "/admin/users/+1%20(555)%20555-0123/memories", b"", ADMIN)
        assert response.status == 200
        erased = json.loads(response.body)
        assert erased["caller"].startswith("u_")
        assert erased["erased"]["memories"] >= 2 and erased["erased"]["archived_events"] == 2
        assert local.runtime.store.users() == [OTHER_CALLER]  # the other caller is untouched
        assert _events(local) == ["post_call_transcription:conv_plain_2"]
    finally:
        _close(local)
    assert b"5550123" not in _bytes(data) and b"Quellstone" in _bytes(data)  # the other caller's words stay


def test_a_deployed_erasure_erases_both_through_the_worker(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _before_pseudonymizing(data)
    settings = Settings.from_environ({}, agent_type=AGENT, data_dir=data, config_path=pseudonymizing_config(tmp_path))
    queue = SqliteQueue(data / "queue.db")
    runtime = build_runtime(
        settings, secrets=EnvSecrets(TEST_SECRETS), archive=BucketLikeArchive(data / "archive"), queue=queue
    )
    local = LocalRuntime(runtime, queue, LocalWorker(queue, runtime.worker.process, backoff_seconds=0), data)
    try:
        response = local.call("DELETE", f"/admin/users/{CALLER}/memories", b"", ADMIN)
        assert response.status == 202
        assert json.loads(response.body)["erased"]["memories"] >= 2
        local.drain()  # the erase jobs
        assert local.runtime.store.users() == [OTHER_CALLER]
        assert _events(local) == ["post_call_transcription:conv_plain_2"]
    finally:
        _close(local)


def test_erasing_by_the_pseudonym_erases_only_under_it(local_runtime: Any, tmp_path: Path) -> None:
    local = local_runtime(config_path=pseudonymizing_config(tmp_path))
    _post(local, CALLER, "conv_pseudo_2")
    [user_id] = local.runtime.store.users()
    response = local.call("DELETE", f"/admin/users/{user_id}/memories", b"", ADMIN)
    assert response.status == 200 and json.loads(response.body)["erased"]["archived_events"] == 1
    assert local.runtime.store.users() == []


def test_the_command_line_erases_both(tmp_path: Path, monkeypatch: Any) -> None:
    from typer.testing import CliRunner

    from functions.cli import app

    for name, value in TEST_SECRETS.items():
        monkeypatch.setenv(name, value)
    for name in ("MEMORY_BACKEND", "AGENT_TYPE", "ARCHIVE_BUCKET", "AGENTIC_MEMORY_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    data = tmp_path / "data"
    _before_pseudonymizing(data)
    config = str(pseudonymizing_config(tmp_path))
    result = CliRunner().invoke(
        app, ["memories", "erase", "555-555-0123", "--yes", "--data-dir", str(data), "--config", config]
    )
    assert result.exit_code == 0, result.output
    assert "1 archived events" in result.output and "erased 0 memories" not in result.output
    assert b"5550123" not in _bytes(data)
