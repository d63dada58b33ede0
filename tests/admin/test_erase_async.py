"""Erasure where the archive is lifecycle-managed (a deployed bucket the HTTP function may only write to): the
memories go at once, the rest through an erase job the worker runs. The same core as in the cloud, on the
embedded store and local files, so every step can be checked; the cloud roles are in tests/functions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.config.loader import DEFAULT_CONFIG_PATH
from shared.errors import ConfigError
from shared.ingest.erasures import ERASED_PREFIX, erased_at
from shared.ingest.local import FileArchive, LocalWorker, SqliteQueue
from shared.ingest.ports import ERASE_PREFIX, erase_job_key, parse_erase_job
from shared.runtime import build_runtime
from shared.secrets import EnvSecrets
from shared.settings import Settings
from tests.conftest import CALLER, OTHER_CALLER, TEST_SECRETS, LocalRuntime, elevenlabs_post_call, sign_elevenlabs

ADMIN = {"X-Admin-Key": TEST_SECRETS["ADMIN_API_KEY"]}
AGENT = "elevenlabs_customer_support"


class BucketLikeArchive(FileArchive):
    """Files, but expired by "the bucket's lifecycle": what S3Archive and GcsArchive declare."""

    lifecycle_managed = True


@pytest.fixture
def local(tmp_path: Path) -> Any:
    settings = Settings.from_environ({}, agent_type=AGENT, data_dir=tmp_path)
    queue = SqliteQueue(tmp_path / "queue.db")
    archive = BucketLikeArchive(tmp_path / "archive")
    runtime = build_runtime(settings, secrets=EnvSecrets(TEST_SECRETS), archive=archive, queue=queue)
    worker = LocalWorker(queue, runtime.worker.process, max_attempts=3, backoff_seconds=0)
    yield LocalRuntime(runtime, queue, worker, tmp_path)
    runtime.store.close()
    queue.close()


def post_call(local: LocalRuntime, **call: Any) -> None:
    body = json.dumps(elevenlabs_post_call(**call)).encode()
    assert local.call("POST", "/post-call", body, {"ElevenLabs-Signature": sign_elevenlabs(body)}).status == 200


def keys(local: LocalRuntime) -> list[str]:
    """The archive's events and erase jobs (not the records of erasures, which hold a time under a hash)."""
    return sorted(entry.key for entry in local.runtime.archive.entries() if not entry.key.startswith(ERASED_PREFIX))


def test_memories_go_at_once_and_the_worker_erases_the_archived_events(local: LocalRuntime) -> None:
    post_call(local, conversation_id="conv_a1")
    post_call(local, caller=OTHER_CALLER, conversation_id="conv_b1", name="Lee Other")
    local.drain()
    mine = len(local.runtime.service.manager.recent(CALLER))
    post_call(local, conversation_id="conv_a2")  # arrives, and is still queued, when the erasure comes

    response = local.call("DELETE", f"/admin/users/{CALLER}/memories", b"", ADMIN)
    assert response.status == 202
    assert json.loads(response.body) == {
        "caller": "+155***0123",
        "erased": {"memories": mine},
        "queued": ["archived_events", "memories"],
    }
    assert local.runtime.service.manager.recent(CALLER) == []
    [request] = [key for key in keys(local) if key.startswith(ERASE_PREFIX)]
    job = parse_erase_job(request)
    assert job is not None and job.user_ref == local.runtime.service.identity.user_ref(CALLER)
    assert "5555550123" not in request and request in local.queue.keys("pending")  # the queue names no caller
    assert local.runtime.archive.get(request).body == CALLER.encode()
    requested_at = local.runtime.archive.get(request).received_at

    local.drain()  # conv_a2 first (it was queued first): its memories land, then the job erases them again

    assert keys(local) == ["post_call_transcription:conv_b1"]
    assert local.runtime.service.manager.recent(CALLER) == []
    assert local.runtime.service.manager.recent(OTHER_CALLER)
    ref = local.runtime.service.identity.user_ref(CALLER)
    assert erased_at(local.runtime.archive, ref) == requested_at  # a resent old call will find it erased
    record = local.runtime.archive.get(f"{ERASED_PREFIX}{ref}").body
    assert b"5555550123" not in record and b"conv_a" not in record
    assert local.queue.counts().get("dead", 0) == 0
    assert local.runtime.worker.process(request) == 0  # a redelivered job finds its request gone: nothing to do


def test_two_erasures_of_one_caller_are_two_jobs(local: LocalRuntime) -> None:
    post_call(local, conversation_id="conv_a1")
    local.drain()
    for _ in range(2):
        assert local.call("DELETE", f"/admin/users/{CALLER}/memories", b"", ADMIN).status == 202
    requests = [key for key in keys(local) if key.startswith(ERASE_PREFIX)]
    assert len(requests) == 2  # the second is not swallowed by the first (which could have run already)
    local.drain()
    assert keys(local) == []


def test_erase_job_keys_are_reserved_and_strict() -> None:
    ref, request = "a" * 32, "b" * 32
    assert parse_erase_job(erase_job_key(ref, request)) is not None
    assert parse_erase_job("post_call_transcription:conv_1") is None
    for bad in (
        "erase/",
        f"erase/{CALLER}",
        f"erase/{ref}",
        f"erase/{ref}/{request}/x",
        f"erase/{ref.upper()}/{request}",
    ):
        with pytest.raises(ValueError):
            parse_erase_job(bad)
    with pytest.raises(ValueError):
        erase_job_key(CALLER, request)


def test_an_ingest_event_type_that_could_take_the_erase_prefix_is_refused_at_start_up(tmp_path: Path) -> None:
    config = json.loads(DEFAULT_CONFIG_PATH.read_text())
    # a custom platform names its own event types (ElevenLabs never sends "erase/now": refused before this check)
    config["agent_types"]["generic_voice_agent"]["webhooks"] = {"ingest_events": ["call_completed", "erase/now"]}
    path = tmp_path / "agent_types.json"
    path.write_text(json.dumps(config))
    settings = Settings.from_environ({}, agent_type="generic_voice_agent", data_dir=tmp_path, config_path=path)
    queue = SqliteQueue(tmp_path / "queue.db")
    try:
        with pytest.raises(ConfigError, match="reserved for erasures"):
            build_runtime(settings, secrets=EnvSecrets(TEST_SECRETS), archive=FileArchive(tmp_path / "a"), queue=queue)
    finally:
        queue.close()


def test_the_effective_config_says_what_expires_archived_events(local: LocalRuntime, local_runtime: Any) -> None:
    deployed = json.loads(local.call("GET", "/admin/config", b"", ADMIN).body)
    assert deployed["archive_expired_by"] == "bucket lifecycle"
    on_files = json.loads(local_runtime().call("GET", "/admin/config", b"", ADMIN).body)
    assert on_files["archive_expired_by"] == "sweep"
