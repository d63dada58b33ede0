"""The Cloud Functions targets through functions-framework (the bundle's ``main.py``), the queue port on the Pub/Sub
emulator (the real google-cloud-pubsub client) and the archive on the in-process Cloud Storage fake.

The worker receives what the stack's push subscription sends (the raw push body, turned into a CloudEvent by
functions-framework); a failure answers 5xx, so Pub/Sub redelivers and dead-letters after the policy's attempts.
"""

from __future__ import annotations

import inspect
import json
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.api_core import exceptions

from functions.cold_start import ColdStart
from functions.gcp import entry as gcp
from functions.gcp.archive import GcsArchive
from functions.gcp.ports import cloud_ports, ports_from_environ
from functions.gcp.queue import PubSubQueue
from functions.lazy import LazyClient
from shared.errors import ConfigError, StoreUnavailable
from shared.ingest.local import FileArchive, SqliteQueue
from shared.runtime import Runtime
from tests.fakes.gcp_clients import FakeStorageClient, PublishedMessage, cloud_event
from tests.functions.gcf_targets import target_app
from tests.functions.lambda_events import AGENT_TYPE, CALLER, SECRET_VALUES, post_call_body, pre_call_body, sign
from tests.functions.pubsub_emulator import MAX_DELIVERY_ATTEMPTS, PubSubStack, create_stack

BUCKET = "agentic-memory-events-test"
POST_CALL_KEY = "post_call_transcription:conv_01bundletest0000000000000"


def test_the_storage_fake_accepts_exactly_what_the_port_sends_to_the_real_library() -> None:
    from google.cloud import storage

    inspect.signature(storage.Blob.upload_from_string).bind(
        None, b"body", content_type="application/octet-stream", if_generation_match=0
    )
    inspect.signature(storage.Bucket.get_blob).bind(None, "events/k")
    inspect.signature(storage.Client.list_blobs).bind(None, BUCKET, prefix="events/")
    inspect.signature(storage.Blob.delete).bind(None)
    assert exceptions.PreconditionFailed("x").code == 412


@pytest.fixture
def storage() -> FakeStorageClient:
    return FakeStorageClient(BUCKET)


@pytest.fixture
def pubsub(pubsub_emulator: str) -> PubSubStack:
    return create_stack()


@pytest.fixture
def runtime(storage: FakeStorageClient, pubsub: PubSubStack, data_dir: Path) -> Iterator[Runtime]:
    environ = {
        "AGENT_TYPE": AGENT_TYPE,
        "MEMORY_BACKEND": "sqlite",
        "AGENTIC_MEMORY_DATA_DIR": str(data_dir),
        "ARCHIVE_BUCKET": BUCKET,
        "ARCHIVE_PREFIX": "events/",
        "PUBSUB_TOPIC": pubsub.topic,
        **SECRET_VALUES,  # Secret Manager secrets mounted as environment variables
    }
    built = gcp.build(environ, storage_factory=lambda: storage)  # the real Pub/Sub client, on the emulator
    yield built
    built.store.close()


@pytest.fixture
def targets(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Test clients of the deploy targets, loaded from the bundle's ``main.py`` as Cloud Functions loads them."""
    monkeypatch.setattr(gcp, "COLD_START", ColdStart(lambda: runtime))
    return {
        "http": target_app("http", "http", monkeypatch).test_client(),
        "worker": target_app("worker", "cloudevent", monkeypatch).test_client(),
    }


def post_call(targets: dict[str, Any], body: bytes | None = None) -> Any:
    raw = post_call_body() if body is None else body
    headers = {"ElevenLabs-Signature": sign(raw), "Content-Type": "application/json"}
    return targets["http"].post("/post-call", data=raw, headers=headers)


def pre_call(targets: dict[str, Any]) -> dict[str, Any]:
    headers = {"X-Workspace-Key": SECRET_VALUES["ELEVENLABS_WORKSPACE_KEY"], "Content-Type": "application/json"}
    response = targets["http"].post("/client-data", data=pre_call_body(), headers=headers)
    assert response.status_code == 200, response.get_data()
    data: dict[str, Any] = json.loads(response.get_data())
    return data


def push(targets: dict[str, Any]) -> Any:
    return lambda body: targets["worker"].post("/", json=body).status_code


def test_post_call_is_published_to_pubsub_and_the_pushed_worker_writes_memories(
    targets: dict[str, Any], storage: FakeStorageClient, pubsub: PubSubStack
) -> None:
    assert post_call(targets).status_code == 200
    stored = storage.buckets[BUCKET][f"events/{POST_CALL_KEY}"]
    assert stored.data == post_call_body()
    assert stored.metadata is not None and CALLER not in json.dumps(stored.metadata)
    assert pre_call(targets)["dynamic_variables"]["returning_caller"] != "yes"

    delivered = pubsub.deliver(push(targets))

    assert [(json.loads(data), status) for data, status in delivered] == [({"key": POST_CALL_KEY}, 200)]
    after = pre_call(targets)["dynamic_variables"]
    assert (after["returning_caller"], after["caller_name"]) == ("yes", "Dana")
    assert pubsub.dead_letters() == []


def test_redelivered_post_call_changes_nothing(
    targets: dict[str, Any], storage: FakeStorageClient, pubsub: PubSubStack
) -> None:
    post_call(targets)
    pubsub.deliver(push(targets))
    generation = storage.buckets[BUCKET][f"events/{POST_CALL_KEY}"].generation
    first = pre_call(targets)

    again = post_call(targets)
    assert again.status_code == 200 and json.loads(again.get_data())["status"] == "duplicate"
    pubsub.publisher.publish(pubsub.topic, json.dumps({"key": POST_CALL_KEY}).encode()).result(timeout=10)
    redelivered = pubsub.deliver(push(targets))  # a duplicate is queued again too, in case its first publish failed
    assert redelivered and all(status == 200 for _, status in redelivered)

    assert storage.buckets[BUCKET][f"events/{POST_CALL_KEY}"].generation == generation
    assert pre_call(targets) == first


def test_failing_messages_are_redelivered_then_dead_lettered(
    targets: dict[str, Any], storage: FakeStorageClient, pubsub: PubSubStack
) -> None:
    storage.bucket(BUCKET).blob("events/post_call_transcription:broken").upload_from_string(b"{not json")
    pubsub.publisher.publish(pubsub.topic, b'{"key":"post_call_transcription:broken"}').result(timeout=10)
    pubsub.publisher.publish(pubsub.topic, b"not a queue message").result(timeout=10)
    post_call(targets)

    attempts = pubsub.deliver(push(targets))

    failed = [data for data, status in attempts if status >= 500]
    assert sorted(set(failed)) == sorted([b'{"key":"post_call_transcription:broken"}', b"not a queue message"])
    assert len(failed) == 2 * MAX_DELIVERY_ATTEMPTS
    assert sorted(pubsub.dead_letters()) == sorted(set(failed))
    assert [status for data, status in attempts if data.startswith(b'{"key":"post_call_transcription:conv_')] == [200]
    assert pre_call(targets)["dynamic_variables"]["caller_name"] == "Dana"


def test_a_failing_event_reaches_pubsub_and_the_log_without_the_callers_number(
    runtime: Runtime, pubsub: PubSubStack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """functions-framework logs what the worker raises, traceback and chained causes included; a store's error
    can name the caller's document, so only the failure's type may leave the worker."""

    def fails(key: str) -> None:
        raise ValueError(f"contention on document callers/{CALLER}/memories/m1")

    monkeypatch.setattr(runtime.worker, "process", fails)
    message = PublishedMessage(pubsub.topic, b'{"key":"post_call_transcription:c1"}', "1")
    with pytest.raises(gcp.EventFailed) as raised:
        gcp.serve_event(runtime, cloud_event(message, pubsub.topic))
    shown = "".join(traceback.format_exception(raised.value)) + caplog.text
    assert "ValueError" in shown and CALLER not in shown and "5550123" not in shown
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_bad_signature_is_rejected_and_nothing_is_stored_or_published(
    targets: dict[str, Any], storage: FakeStorageClient, pubsub: PubSubStack
) -> None:
    response = targets["http"].post("/post-call", data=post_call_body(), headers={"ElevenLabs-Signature": "t=1,v0=0"})
    assert response.status_code == 401 and json.loads(response.get_data())["error"]
    assert storage.buckets[BUCKET] == {} and pubsub.pull(pubsub.subscription) == []


def test_publishing_to_a_missing_topic_is_store_unavailable_and_the_platform_sees_a_5xx(
    targets: dict[str, Any], pubsub: PubSubStack, runtime: Runtime
) -> None:
    from google.cloud import pubsub_v1

    missing = f"projects/{pubsub.project}/topics/deleted"
    with pytest.raises(StoreUnavailable):
        PubSubQueue(missing, publisher=pubsub_v1.PublisherClient(), timeout=5).enqueue("k")
    pubsub.publisher.delete_topic(topic=pubsub.topic)
    response = post_call(targets)
    assert response.status_code >= 500 and "error" in json.loads(response.get_data())


def test_the_worker_refuses_a_push_body_that_is_not_one(targets: dict[str, Any]) -> None:
    """Neither a CloudEvent nor a Pub/Sub push: functions-framework answers 400, nothing is processed."""
    assert targets["worker"].post("/", json={"hello": "world"}).status_code == 400


def test_environment_selects_cloud_ports_without_importing_google_cloud(data_dir: Path) -> None:
    def forbidden() -> Any:
        raise AssertionError("no client may be built before first use")

    environ = {"ARCHIVE_BUCKET": BUCKET, "PUBSUB_TOPIC": "projects/p/topics/t", "ADMIN_API_KEY": "a"}
    secrets, archive, queue = ports_from_environ(
        environ, data_dir, storage_factory=forbidden, publisher_factory=forbidden
    )
    assert isinstance(archive, GcsArchive) and isinstance(queue, PubSubQueue)
    assert isinstance(archive._client, LazyClient) and not archive._client.built
    admin = secrets.get("ADMIN_API_KEY")
    assert admin is not None and admin.reveal() == "a"


def test_environment_without_cloud_ports_uses_local_ones(data_dir: Path) -> None:
    _, archive, queue = ports_from_environ({}, data_dir)
    assert isinstance(archive, FileArchive) and isinstance(queue, SqliteQueue)


def test_half_configured_environment_is_refused(data_dir: Path) -> None:
    with pytest.raises(ConfigError, match="must be set together"):
        ports_from_environ({"PUBSUB_TOPIC": "projects/p/topics/t"}, data_dir)


def test_the_firestore_backend_needs_its_database(data_dir: Path) -> None:
    with pytest.raises(ConfigError, match="FIRESTORE_DATABASE"):
        cloud_ports({}, data_dir, memory_backend="firestore")


@pytest.mark.parametrize("backend", ["mem0", "sqlite"])
def test_the_mem0_pending_log_is_the_buckets_own_prefix_only_with_mem0(data_dir: Path, backend: str) -> None:
    storage = FakeStorageClient(BUCKET)
    environ = {"ARCHIVE_BUCKET": BUCKET, "PUBSUB_TOPIC": "projects/p/topics/t"}
    ports = cloud_ports(environ, data_dir, memory_backend=backend, read_timeout=0.7, storage_factory=lambda: storage)
    if backend == "sqlite":
        assert ports.pending_archive is None
        return
    pending = ports.pending_archive
    assert isinstance(pending, GcsArchive) and (pending._prefix, pending._timeout) == ("mem0-pending/", 0.7)
    assert isinstance(ports.archive, GcsArchive) and ports.archive._prefix == "events/"
    assert cloud_ports({}, data_dir, memory_backend=backend).pending_archive is None  # local: the data dir
