"""The deployed GCP stack's features under its own service accounts: each function's storage client obeys only the
conditioned bucket grants ``infra.gcp_iam.storage_grants`` declares for it, over a versioned bucket as the stack
declares it (in-process fakes of google-cloud-storage and Pub/Sub, a local Mem0 on a socket)."""

from __future__ import annotations

import inspect
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from functions.gcp.archive import GcsArchive
from infra.gcp_iam import StorageGrant
from shared.errors import StoreUnavailable
from shared.memory.mem0_pending import ArchivePendingLog
from tests.conftest import CALLER, OTHER_CALLER
from tests.fakes.mem0_server import FakeMem0Server
from tests.functions.gcp_stack import (
    ADMIN,
    BUCKET,
    DEAD_LETTER,
    NAME_KEY,
    Stack,
    grants,
    make_stack,
    mem0_users,
    post_call,
    request,
    returning,
    wait_for,
)
from tests.functions.gcs_iam import Conditioned


def test_the_fakes_accept_exactly_what_the_archive_sends_to_the_real_library() -> None:
    """The calls the archive makes for versions, generations and timeouts bind to google-cloud-storage's own
    signatures, so the versioned fake cannot drift from them."""
    from google.cloud import storage

    inspect.signature(storage.Bucket.blob).bind(None, "events/k", generation=1)
    inspect.signature(storage.Bucket.get_blob).bind(None, "events/k", timeout=1.5)
    inspect.signature(storage.Blob.delete).bind(None, timeout=1.5)
    inspect.signature(storage.Blob.download_as_bytes).bind(None, timeout=1.5)
    inspect.signature(storage.Blob.upload_from_string).bind(
        None, b"body", content_type="application/octet-stream", if_generation_match=0, timeout=1.5
    )
    inspect.signature(storage.Client.list_blobs).bind(None, BUCKET, prefix="events/", versions=True, timeout=1.5)


@pytest.fixture
def mem0() -> Iterator[FakeMem0Server]:
    with FakeMem0Server() as server:
        yield server


@pytest.fixture
def stack(tmp_path: Path, mem0: FakeMem0Server) -> Iterator[Stack]:
    stack = make_stack(tmp_path, mem0.url)
    yield stack
    stack.close()


def test_a_caller_who_calls_back_while_mem0_is_busy_is_recognised_across_functions(
    stack: Stack, mem0: FakeMem0Server
) -> None:
    http, worker = stack.runtime("http"), stack.runtime("worker")
    mem0.hold_adds = True
    post_call(http)
    thread = threading.Thread(target=lambda: stack.deliver(worker), daemon=True)
    thread.start()
    wait_for(lambda: stack.live("mem0-pending/") == 1)  # the worker's pending record, in the bucket

    seen = returning(http)
    assert (seen["returning_caller"], seen["caller_name"]) == ("yes", "Dana Whitfield")
    assert thread.is_alive()
    mem0.release_adds()
    thread.join(timeout=10)
    assert stack.publisher.topics[DEAD_LETTER] == []
    assert stack.live("mem0-pending/") == 0
    assert returning(http)["returning_caller"] == "yes"
    assert not any(path.name == "mem0-pending" for path in stack.data_dir.rglob("*"))


def test_the_pending_log_is_unreachable_without_its_grants(stack: Stack) -> None:
    for role in ("http", "worker"):
        client = Conditioned(stack.storage, grants(role, backend="sqlite"))
        log = ArchivePendingLog(
            GcsArchive(BUCKET, storage_client=client, prefix="mem0-pending/"), agent_type="x", name_key=NAME_KEY
        )
        with pytest.raises(StoreUnavailable):
            log.get(CALLER)
        granted = Conditioned(stack.storage, grants(role))
        log = ArchivePendingLog(
            GcsArchive(BUCKET, storage_client=granted, prefix="mem0-pending/"), agent_type="x", name_key=NAME_KEY
        )
        assert log.get(CALLER) == []


def test_erasure_in_the_cloud_leaves_no_generation_of_the_callers_events_and_no_memory(
    stack: Stack, mem0: FakeMem0Server
) -> None:
    http, worker = stack.runtime("http"), stack.runtime("worker")
    for conversation in ("conv_erase_1", "conv_erase_2"):
        post_call(http, conversation_id=conversation)
    post_call(http, caller=OTHER_CALLER, conversation_id="conv_keep_1", name="Lee Other")
    stack.deliver(worker)
    stack.storage.bucket(BUCKET).blob("events/post_call_transcription:conv_erase_2").delete()  # now noncurrent
    post_call(http, conversation_id="conv_erase_3")  # still queued when the erasure comes
    assert mem0_users(mem0) == {CALLER, OTHER_CALLER}

    response = request(http, "DELETE", f"/admin/users/{CALLER}/memories", headers=ADMIN)
    assert response.status_code == 202
    erased = json.loads(response.get_data())
    assert erased["queued"] == ["archived_events", "memories"] and erased["erased"]["memories"] >= 4
    assert mem0_users(mem0) == {OTHER_CALLER}
    on_events = {permission for permission, name in stack.clients["http"].calls if "/objects/events/" in name}
    assert on_events == {"storage.objects.create"}

    delivered = stack.deliver(worker)
    assert stack.publisher.topics[DEAD_LETTER] == [] and len(delivered.acked) == 2
    left = [name for name in stack.names() if not name.startswith("events/erased/")]  # beside when it was erased
    assert left == ["events/post_call_transcription:conv_keep_1"]
    assert mem0_users(mem0) == {OTHER_CALLER}
    assert returning(http)["returning_caller"] == "no"


def test_the_worker_could_not_list_for_erasure_with_an_object_name_condition_alone(stack: Stack) -> None:
    """The control for the list clause: a list request is checked against the bucket, not an object."""
    names_only = StorageGrant("worker", "archive", "roles/storage.objectUser", "events/").condition(BUCKET)
    client = Conditioned(stack.storage, [("roles/storage.objectUser", names_only["expression"])])
    with pytest.raises(StoreUnavailable):
        GcsArchive(BUCKET, storage_client=client).erase_user("0" * 32)
    assert GcsArchive(BUCKET, storage_client=Conditioned(stack.storage, grants("worker"))).erase_user("0" * 32) == []


def test_the_sweeper_touches_no_storage_and_says_the_bucket_lifecycle_expires_events(
    stack: Stack, mem0: FakeMem0Server
) -> None:
    post_call(stack.runtime("http"))
    sweeper = stack.runtime("sweeper")
    assert sweeper.sweep() == {"memories": 0, "archived_events": 0, "archive_lifecycle_managed": True}
    assert stack.clients["sweeper"].calls == []
    assert mem0.requests_to("POST", "/v3/memories/")
    assert stack.names() == ["events/post_call_transcription:conv_test_0001"]
