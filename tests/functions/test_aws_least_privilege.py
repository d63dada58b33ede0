"""The deployed AWS stack's features under its own least-privilege roles: each Lambda's runtime gets clients that
obey exactly the policy ``infra.aws_iam.function_policy`` gives its role (moto for S3, SQS and Secrets Manager, a
versioned bucket as the stack declares it, a local Mem0 on a socket). What only fails in the cloud fails here:
the mem0 pending log shared by the HTTP function and the worker, erasure through the worker, the sweeper."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from functions.aws import entry as aws
from functions.aws.archive import S3Archive
from infra.aws_iam import function_policy
from shared.errors import NotFound, StoreUnavailable
from shared.ingest.ports import ArchivedEvent
from shared.memory.mem0_pending import ArchivePendingLog, PendingMemory
from shared.memory.models import Memory
from tests.conftest import CALLER, OTHER_CALLER
from tests.fakes.mem0_server import FakeMem0Server
from tests.functions.aws_iam import RoleSession
from tests.functions.aws_stack import (
    ADMIN,
    BUCKET,
    NAME_KEY,
    Stack,
    answer,
    make_stack,
    mem0_users,
    post_call,
    returning,
    wait_for,
)
from tests.functions.lambda_events import AGENT_TYPE, http_event


@pytest.fixture
def mem0() -> Iterator[FakeMem0Server]:
    with FakeMem0Server() as server:
        yield server


@pytest.fixture
def stack(aws_session: Any, tmp_path: Path, mem0: FakeMem0Server) -> Iterator[Stack]:
    stack = make_stack(aws_session, tmp_path, mem0.url)
    yield stack
    stack.close()


# -- 1. the mem0 pending log ----------------------------------------------------------------------------


def test_a_caller_who_calls_back_while_mem0_is_busy_is_recognised_across_functions(
    stack: Stack, mem0: FakeMem0Server
) -> None:
    http, worker = stack.runtime("http"), stack.runtime("worker")
    mem0.hold_adds = True  # Mem0 accepted the adds but does not list them yet
    assert post_call(http)["statusCode"] == 200

    outcome: list[Any] = []
    thread = threading.Thread(target=lambda: outcome.append(stack.deliver(worker)), daemon=True)
    thread.start()
    wait_for(lambda: stack.s3.list_objects_v2(Bucket=BUCKET, Prefix="mem0-pending/").get("KeyCount", 0) == 1)

    seen = returning(http)  # the HTTP function reads the worker's pending record from the bucket
    assert (seen["returning_caller"], seen["caller_name"]) == ("yes", "Dana Whitfield")
    assert returning(http, OTHER_CALLER)["returning_caller"] == "no"
    assert thread.is_alive()  # the worker holds the event until Mem0 lists it

    mem0.release_adds()
    thread.join(timeout=10)
    assert outcome == [[{"batchItemFailures": []}]]
    assert stack.s3.list_objects_v2(Bucket=BUCKET, Prefix="mem0-pending/").get("KeyCount", 0) == 0
    assert returning(http)["returning_caller"] == "yes"  # from Mem0 itself now
    assert not any(path.name == "mem0-pending" for path in stack.data_dir.rglob("*"))  # no per-instance directory
    # the record was written, rewritten and removed: not one version or delete marker of it is left
    assert stack.versions("mem0-pending/") == []


def test_the_pending_log_is_unreachable_without_its_grants(stack: Stack) -> None:
    """The control: with the policies as they were (no pending-log statements) neither function can use it."""
    for role in ("http", "worker"):
        policy = function_policy(role, stack.arns)  # type: ignore[arg-type]
        session = RoleSession(stack.session, policy, queue_arns=stack.queue_arns)
        log = ArchivePendingLog(
            S3Archive(BUCKET, s3_client=session.client("s3"), prefix="mem0-pending/"), agent_type="x", name_key=NAME_KEY
        )
        with pytest.raises(StoreUnavailable):
            log.get(CALLER)
    with_grants = function_policy("http", stack.arns, mem0_pending=True)
    session = RoleSession(stack.session, with_grants, queue_arns=stack.queue_arns)
    log = ArchivePendingLog(
        S3Archive(BUCKET, s3_client=session.client("s3"), prefix="mem0-pending/"), agent_type="x", name_key=NAME_KEY
    )
    assert log.get(CALLER) == []  # S3 answered 403 for the missing record; listing that one key says "absent"
    assert "s3:ListBucket" in session.actions


def test_a_missing_event_is_not_found_for_the_worker_but_denied_reads_stay_errors(stack: Stack) -> None:
    worker = RoleSession(stack.session, function_policy("worker", stack.arns), queue_arns=stack.queue_arns)
    archive = S3Archive(BUCKET, s3_client=worker.client("s3"))
    with pytest.raises(NotFound):  # an erased event whose message is still queued: skipped, not retried
        archive.get("post_call_transcription:gone")
    http = RoleSession(stack.session, function_policy("http", stack.arns), queue_arns=stack.queue_arns)
    with pytest.raises(StoreUnavailable):  # the HTTP role may not read events at all
        S3Archive(BUCKET, s3_client=http.client("s3")).get("post_call_transcription:gone")


# -- 2. erasure through the worker ------------------------------------------------------------------------


def test_erasure_in_the_cloud_leaves_no_version_of_the_callers_events_and_no_memory(
    stack: Stack, mem0: FakeMem0Server
) -> None:
    http, worker = stack.runtime("http"), stack.runtime("worker")
    for conversation in ("conv_erase_1", "conv_erase_2"):
        post_call(http, conversation_id=conversation)
    post_call(http, caller=OTHER_CALLER, conversation_id="conv_keep_1", name="Lee Other")
    assert stack.deliver(worker) == [{"batchItemFailures": []}]
    # a noncurrent version, as the lifecycle's expiry (or a replay) leaves one: erasure must find it too
    stack.s3.delete_object(Bucket=BUCKET, Key="events/post_call_transcription:conv_erase_2")
    post_call(http, conversation_id="conv_erase_3")  # still queued when the erasure comes
    assert mem0_users(mem0) == {CALLER, OTHER_CALLER}

    response = aws.serve_http(http, http_event("DELETE", f"/admin/users/{CALLER}/memories", ADMIN))
    assert response["statusCode"] == 202
    erased = answer(response)
    assert erased["caller"] == "+155***0123" and erased["queued"] == ["archived_events", "memories"]
    assert erased["erased"]["memories"] >= 4
    assert mem0_users(mem0) == {OTHER_CALLER}  # the memories went at once
    [request] = [key for key in stack.versions() if key.startswith("events/erase/")]
    assert stack.s3.get_object(Bucket=BUCKET, Key=request)["Body"].read() == CALLER.encode()
    on_events = {action for action, resource in stack.roles["http"].calls if "/events/" in resource}
    assert on_events == {"s3:PutObject"}  # the HTTP function only wrote: the events, and the erase request

    assert stack.deliver(worker) == [{"batchItemFailures": []}]

    left = [key for key in stack.versions() if not key.startswith("events/erased/")]  # beside when it was erased
    assert left == ["events/post_call_transcription:conv_keep_1"]  # not one version of theirs left
    assert mem0_users(mem0) == {OTHER_CALLER}  # the event that was still queued wrote nothing that stayed
    assert stack.sqs.receive_message(QueueUrl=stack.dlq_url).get("Messages", []) == []
    assert returning(http)["returning_caller"] == "no"
    assert returning(http, OTHER_CALLER)["returning_caller"] == "yes"


def test_erase_job_for_a_request_already_done_is_skipped_and_a_forged_one_is_refused(
    stack: Stack, mem0: FakeMem0Server
) -> None:
    worker = stack.runtime("worker")
    done = "erase/" + "a" * 32 + "/" + "b" * 32
    assert worker.worker.process(done) == 0  # no request archived under it (a redelivered job): nothing to do
    forged = "erase/" + "c" * 32 + "/" + "d" * 32  # the body's caller does not hash to the key's ref
    S3Archive(BUCKET, s3_client=stack.s3).put_if_absent(
        ArchivedEvent(forged, CALLER.encode(), datetime.now(UTC), AGENT_TYPE)
    )
    with pytest.raises(ValueError, match="does not match"):
        worker.worker.process(forged)
    with pytest.raises(ValueError, match="malformed"):
        worker.worker.process("erase/" + CALLER)


# -- 3. the sweeper -----------------------------------------------------------------------------------


def test_the_sweeper_touches_no_storage_and_says_the_bucket_lifecycle_expires_events(
    stack: Stack, mem0: FakeMem0Server
) -> None:
    http = stack.runtime("http")
    post_call(http)
    sweeper = stack.runtime("sweeper")
    assert sweeper.sweep() == {
        "memories": 0,
        "archived_events": 0,
        "archive_lifecycle_managed": True,
    }
    assert stack.roles["sweeper"].actions == [
        "secretsmanager:GetSecretValue"
    ]  # its secret (MEM0_API_KEY among them), and no storage
    assert mem0.requests_to("POST", "/v3/memories/")  # it did sweep Mem0 with that key
    assert stack.versions() == ["events/post_call_transcription:conv_test_0001"]


def test_pending_records_written_by_the_worker_hold_no_phone_number_in_their_names(stack: Stack) -> None:
    worker = RoleSession(stack.session, function_policy("worker", stack.arns, mem0_pending=True), queue_arns={})
    archive = S3Archive(BUCKET, s3_client=worker.client("s3"), prefix="mem0-pending/")
    now = datetime.now(UTC)
    memory = Memory("m1", CALLER, AGENT_TYPE, "factual", "Dana prefers afternoons", now, None)
    ArchivePendingLog(archive, agent_type=AGENT_TYPE, name_key=NAME_KEY).put(CALLER, [PendingMemory(memory, now)])
    [key] = stack.versions("mem0-pending/")
    assert key.startswith("mem0-pending/mem0-pending-") and "5555550123" not in key
