"""The Cloud Functions targets end to end on in-process fakes of google-cloud-storage and google-cloud-pubsub."""

from __future__ import annotations

import inspect
import json
import traceback
from pathlib import Path
from typing import Any

import flask
import pytest
from google.api_core import exceptions
from werkzeug.test import EnvironBuilder

from functions.gcp import entry as gcp
from functions.gcp.archive import GcsArchive
from functions.gcp.ports import cloud_ports, ports_from_environ
from functions.gcp.queue import PubSubQueue
from functions.lazy import LazyClient
from shared.errors import ConfigError, StoreUnavailable
from shared.ingest.local import FileArchive, SqliteQueue
from shared.runtime import Runtime
from tests.fakes.gcp_clients import FakePublisher, FakeStorageClient, FakeSubscription, PublishedMessage, cloud_event
from tests.functions.lambda_events import AGENT_TYPE, CALLER, SECRET_VALUES, post_call_body, pre_call_body, sign

BUCKET = "agentic-memory-events-test"
TOPIC = "projects/demo-project/topics/agentic-memory-events"
DEAD_LETTER = "projects/demo-project/topics/agentic-memory-events-dlq"
MAX_DELIVERY_ATTEMPTS = 5
POST_CALL_KEY = "post_call_transcription:conv_01bundletest0000000000000"


def test_fakes_accept_exactly_what_the_ports_send_to_the_real_libraries() -> None:
    """The ports' calls bind to the installed libraries' signatures, so the fakes cannot drift from them."""
    from google.cloud import storage
    from google.cloud.pubsub_v1 import PublisherClient

    inspect.signature(storage.Blob.upload_from_string).bind(
        None, b"body", content_type="application/octet-stream", if_generation_match=0
    )
    inspect.signature(storage.Bucket.get_blob).bind(None, "events/k")
    inspect.signature(storage.Client.list_blobs).bind(None, BUCKET, prefix="events/")
    inspect.signature(storage.Blob.delete).bind(None)
    inspect.signature(PublisherClient.publish).bind(None, TOPIC, b"{}")
    assert exceptions.PreconditionFailed("x").code == 412


@pytest.fixture
def storage() -> FakeStorageClient:
    return FakeStorageClient(BUCKET)


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher(TOPIC, DEAD_LETTER)


@pytest.fixture
def runtime(storage: FakeStorageClient, publisher: FakePublisher, data_dir: Path) -> Runtime:
    environ = {
        "AGENT_TYPE": AGENT_TYPE,
        "MEMORY_BACKEND": "sqlite",
        "AGENTIC_MEMORY_DATA_DIR": str(data_dir),
        "ARCHIVE_BUCKET": BUCKET,
        "ARCHIVE_PREFIX": "events/",
        "PUBSUB_TOPIC": TOPIC,
        **SECRET_VALUES,  # Secret Manager secrets mounted as environment variables
    }
    return gcp.build(environ, storage_factory=lambda: storage, publisher_factory=lambda: publisher)


def flask_request(path: str, body: bytes, headers: dict[str, str]) -> flask.Request:
    return flask.Request(EnvironBuilder(path=path, method="POST", data=body, headers=headers).get_environ())


def post_call(runtime: Runtime, body: bytes | None = None) -> flask.Response:
    raw = post_call_body() if body is None else body
    headers = {"ElevenLabs-Signature": sign(raw), "Content-Type": "application/json"}
    return gcp.serve_request(runtime, flask_request("/post-call", raw, headers))


def pre_call(runtime: Runtime) -> dict[str, Any]:
    headers = {"X-Workspace-Key": SECRET_VALUES["ELEVENLABS_WORKSPACE_KEY"], "Content-Type": "application/json"}
    response = gcp.serve_request(runtime, flask_request("/client-data", pre_call_body(), headers))
    assert response.status_code == 200, response.get_data()
    data: dict[str, Any] = json.loads(response.get_data())
    return data


def subscription(publisher: FakePublisher) -> FakeSubscription:
    return FakeSubscription(publisher, TOPIC, DEAD_LETTER, max_delivery_attempts=MAX_DELIVERY_ATTEMPTS)


def worker(runtime: Runtime) -> Any:
    return lambda event: gcp.serve_event(runtime, event)


def test_post_call_lands_in_storage_and_pubsub_and_the_worker_writes_memories(
    runtime: Runtime, storage: FakeStorageClient, publisher: FakePublisher
) -> None:
    response = post_call(runtime)
    assert response.status_code == 200

    stored = storage.buckets[BUCKET][f"events/{POST_CALL_KEY}"]
    assert stored.data == post_call_body()
    assert stored.metadata is not None and CALLER not in json.dumps(stored.metadata)
    assert [json.loads(m.data) for m in publisher.topics[TOPIC]] == [{"key": POST_CALL_KEY}]
    assert pre_call(runtime)["dynamic_variables"]["returning_caller"] != "yes"

    subscription(publisher).deliver(worker(runtime))

    after = pre_call(runtime)["dynamic_variables"]
    assert (after["returning_caller"], after["caller_name"]) == ("yes", "Dana")
    assert publisher.topics[DEAD_LETTER] == []


def test_redelivered_post_call_changes_nothing(
    runtime: Runtime, storage: FakeStorageClient, publisher: FakePublisher
) -> None:
    post_call(runtime)
    subscription(publisher).deliver(worker(runtime))
    generation = storage.buckets[BUCKET][f"events/{POST_CALL_KEY}"].generation
    first = pre_call(runtime)

    again = post_call(runtime)
    assert again.status_code == 200 and json.loads(again.get_data())["status"] == "duplicate"
    subscription(publisher).deliver(worker(runtime))

    assert storage.buckets[BUCKET][f"events/{POST_CALL_KEY}"].generation == generation
    assert pre_call(runtime) == first


def test_failing_messages_go_to_the_dead_letter_topic_after_max_attempts(
    runtime: Runtime, storage: FakeStorageClient, publisher: FakePublisher
) -> None:
    storage.bucket(BUCKET).blob("events/post_call_transcription:broken").upload_from_string(b"{not json")
    publisher.publish(TOPIC, b'{"key":"post_call_transcription:broken"}')
    publisher.publish(TOPIC, b"not a queue message")
    post_call(runtime)

    delivered = subscription(publisher)
    delivered.deliver(worker(runtime))

    dead = publisher.topics[DEAD_LETTER]
    assert sorted(m.data for m in dead) == sorted([b'{"key":"post_call_transcription:broken"}', b"not a queue message"])
    assert all(m.delivery_attempt == MAX_DELIVERY_ATTEMPTS for m in dead)
    assert len(delivered.acked) == 1
    assert pre_call(runtime)["dynamic_variables"]["caller_name"] == "Dana"


def test_a_failing_event_reaches_pubsub_and_the_log_without_the_callers_number(
    runtime: Runtime, publisher: FakePublisher, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """functions-framework logs what the worker raises, traceback and chained causes included; a store's error
    can name the caller's document, so only the failure's type may leave the worker."""

    def fails(key: str) -> None:
        raise ValueError(f"contention on document callers/{CALLER}/memories/m1")

    monkeypatch.setattr(runtime.worker, "process", fails)
    message = PublishedMessage(TOPIC, b'{"key":"post_call_transcription:c1"}', "1")
    with pytest.raises(gcp.EventFailed) as raised:
        gcp.serve_event(runtime, cloud_event(message, TOPIC))
    shown = "".join(traceback.format_exception(raised.value)) + caplog.text
    assert "ValueError" in shown and CALLER not in shown and "5550123" not in shown
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_bad_signature_is_rejected_and_nothing_is_stored(
    runtime: Runtime, storage: FakeStorageClient, publisher: FakePublisher
) -> None:
    headers = {"ElevenLabs-Signature": "t=1,v0=" + "0" * 64}
    response = gcp.serve_request(runtime, flask_request("/post-call", post_call_body(), headers))
    assert response.status_code == 401
    assert storage.buckets[BUCKET] == {} and publisher.topics[TOPIC] == []


def test_publish_failure_is_store_unavailable_and_the_platform_sees_a_5xx(
    runtime: Runtime, publisher: FakePublisher
) -> None:
    publisher.fail_with = exceptions.ServiceUnavailable("pubsub down")
    with pytest.raises(StoreUnavailable):
        PubSubQueue(TOPIC, publisher=publisher).enqueue("k")
    assert post_call(runtime).status_code >= 500


def test_cloud_event_shape_decodes_to_the_key() -> None:
    message = PublishedMessage(TOPIC, b'{"key":"k1"}', "7")
    event = cloud_event(message, TOPIC)
    assert event["type"] == "google.cloud.pubsub.topic.v1.messagePublished"
    assert event.data["message"]["data"] == "eyJrZXkiOiJrMSJ9"


def test_environment_selects_cloud_ports_without_importing_google_cloud(data_dir: Path) -> None:
    def forbidden() -> Any:
        raise AssertionError("no client may be built before first use")

    environ = {"ARCHIVE_BUCKET": BUCKET, "PUBSUB_TOPIC": TOPIC, "ADMIN_API_KEY": "a"}
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
        ports_from_environ({"PUBSUB_TOPIC": TOPIC}, data_dir)


@pytest.mark.parametrize("backend", ["mem0", "sqlite"])
def test_the_mem0_pending_log_is_the_buckets_own_prefix_only_with_mem0(data_dir: Path, backend: str) -> None:
    storage = FakeStorageClient(BUCKET)
    environ = {"ARCHIVE_BUCKET": BUCKET, "PUBSUB_TOPIC": TOPIC}
    ports = cloud_ports(environ, data_dir, memory_backend=backend, read_timeout=0.7, storage_factory=lambda: storage)
    if backend == "sqlite":
        assert ports.pending_archive is None
        return
    pending = ports.pending_archive
    assert isinstance(pending, GcsArchive) and (pending._prefix, pending._timeout) == ("mem0-pending/", 0.7)
    assert isinstance(ports.archive, GcsArchive) and ports.archive._prefix == "events/"
    assert cloud_ports({}, data_dir, memory_backend=backend).pending_archive is None  # local: the data dir
