"""Erasure on a deployed AWS stack leaves nothing of the caller in any version of any object, and every caller
reference the stack stores is keyed. moto with the program's versioned bucket, the bundle's handlers invoked as
Lambda invokes them under each function's own role, the Mem0 backend with its pending log in the bucket."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from functions.aws import entry as aws
from functions.aws.archive import S3Archive
from infra.aws_iam import function_policy
from shared.identity import legacy_user_ref
from shared.memory.mem0_codec import memory_to_json
from shared.memory.mem0_pending import ArchivePendingLog, PendingMemory, legacy_name
from shared.memory.models import Memory
from tests.conftest import CALLER, OTHER_CALLER
from tests.fakes.mem0_server import FakeMem0Server
from tests.functions.aws_iam import RoleSession
from tests.functions.aws_stack import (
    ADMIN,
    BUCKET,
    NAME_KEY,
    Stack,
    make_stack,
    mem0_users,
    post_call,
    returning,
    wait_for,
)
from tests.functions.lambda_events import AGENT_TYPE, SECRET_VALUES, http_event

# What the caller said and who they are: none of it may survive in any stored byte.
NUMBERS = ("+15555550123", "5555550123")
WORDS = ("Dana", "Whitfield", "Biscuit", "surgery", "cleaning", "afternoon")
THEIRS = NUMBERS + WORDS
KEPT = "events/post_call_transcription:conv_keep_1"  # the other caller's event
ERASED = "events/erased/"  # the record of when a caller was erased: a time, under their keyed hash


def kept(keys: Iterable[str]) -> set[str]:
    """The objects left beside the one record of the erasure."""
    keys = list(keys)
    assert len({key for key in keys if key.startswith(ERASED)}) == 1
    return {key for key in keys if not key.startswith(ERASED)}


OTHERS = {"summary": "Lee asked where the March invoice went.", "user_turns": ("Where is my invoice?",)}
KEY_B = "a-second-stack-key-0123456789-abcdefghijklmnop"


@dataclass(frozen=True)
class Stored:
    """One object version (or delete marker) as S3 keeps it: key, metadata and bytes."""

    key: str
    version: str
    metadata: dict[str, str]
    body: bytes

    def text(self) -> str:
        return self.key + json.dumps(self.metadata) + self.body.decode("utf-8", "replace")


def everything(stack: Stack) -> list[Stored]:
    """Every version of every object in the bucket, read with the account's own client (not a function's role)."""
    s3, found = stack.s3, []
    listing = s3.list_object_versions(Bucket=BUCKET)
    for item in listing.get("Versions", []):
        got = s3.get_object(Bucket=BUCKET, Key=item["Key"], VersionId=item["VersionId"])
        found.append(Stored(item["Key"], item["VersionId"], got.get("Metadata") or {}, got["Body"].read()))
    for item in listing.get("DeleteMarkers", []):
        found.append(Stored(item["Key"], item["VersionId"], {}, b""))
    return found


def leaks(stack: Stack, words: tuple[str, ...] = THEIRS) -> list[str]:
    """Where the caller's number or words are stored; the other caller's event is left out for the words (it was
    made from the same template payload, whose agent turns greet "Dana"), never for the number."""
    found = set()
    for stored in everything(stack):
        kept = stored.key == KEPT
        found |= {f"{word} in {stored.key}" for word in words if word in stored.text() and not (kept and word in WORDS)}
    return sorted(found)


def unkeyed_hashes(number: str) -> set[str]:
    """Every fixed-prefix hash of the number earlier versions stored (and the bare ones anyone would try)."""
    found = set()
    for prefix in (b"", b"agentic-memory:user-ref:"):
        digest = hashlib.sha256(prefix + number.encode()).hexdigest()
        found |= {digest, digest[:32]}
    return found


@pytest.fixture
def mem0() -> Iterator[FakeMem0Server]:
    with FakeMem0Server() as server:
        yield server


@pytest.fixture
def stack(aws_session: Any, tmp_path: Path, mem0: FakeMem0Server) -> Iterator[Stack]:
    stack = make_stack(aws_session, tmp_path, mem0.url)
    yield stack
    stack.close()


def erase(stack: Stack, http: Any, caller: str = CALLER) -> dict[str, Any]:
    response = aws.serve_http(http, http_event("DELETE", f"/admin/users/{caller}/memories", ADMIN))
    assert response["statusCode"] == 202
    answer: dict[str, Any] = json.loads(response["body"])
    return answer


def hold_a_pending_record(stack: Stack, mem0: FakeMem0Server, worker: Any) -> threading.Thread:
    """Mem0 accepts the worker's adds but does not list them: the pending record stays in the bucket."""
    mem0.hold_adds = True
    thread = threading.Thread(target=lambda: stack.deliver(worker), daemon=True)
    thread.start()
    wait_for(lambda: stack.s3.list_objects_v2(Bucket=BUCKET, Prefix="mem0-pending/").get("KeyCount", 0) == 1)
    return thread


def pending_record(stack: Stack, *texts: str) -> None:
    """What the worker writes when Mem0 accepted an add but does not list it yet, under the worker's own role: the
    record rewritten once per add (Mem0 lists adds seconds later; until then a call-back reads this record)."""
    role = RoleSession(stack.session, function_policy("worker", stack.arns, mem0_pending=True), queue_arns={})
    archive = S3Archive(BUCKET, s3_client=role.client("s3"), prefix="mem0-pending/")
    log = ArchivePendingLog(archive, agent_type=AGENT_TYPE, name_key=NAME_KEY)
    now = datetime.now(UTC)
    for number, text in enumerate(texts):
        log.put(CALLER, [PendingMemory(Memory(f"m_{number}", CALLER, AGENT_TYPE, "factual", text, now, None), now)])
    assert len(stack.versions("mem0-pending/")) == 1  # rewritten in place: no older version kept


# -- Must show 1: no version of any object holds the caller --------------------------------------------------


def test_after_erasure_no_version_of_any_object_holds_the_callers_number_or_words(
    stack: Stack, mem0: FakeMem0Server
) -> None:
    http, worker = stack.runtime("http"), stack.runtime("worker")
    for conversation in ("conv_erase_1", "conv_erase_2"):
        post_call(http, conversation_id=conversation)
    post_call(http, caller=OTHER_CALLER, conversation_id="conv_keep_1", name="Lee Other", **OTHERS)
    stack.deliver(worker)
    stack.s3.delete_object(Bucket=BUCKET, Key="events/post_call_transcription:conv_erase_2")  # now noncurrent
    post_call(http, conversation_id="conv_erase_3")  # still queued when the erasure comes
    pending_record(stack, "Dana Whitfield prefers afternoons", "Biscuit has surgery on Monday")  # not listed yet
    assert leaks(stack)  # the control: the scan sees the caller where they are

    erase(stack, http)
    stack.deliver(worker)  # the queued event (skipped: erased) and the erase job

    assert leaks(stack) == []
    assert kept(s.key for s in everything(stack)) == {KEPT}
    assert leaks(stack, ("Lee", "invoice")) != []  # the other caller is untouched
    assert mem0_users(mem0) == {OTHER_CALLER}
    assert returning(http)["returning_caller"] == "no"

    post_call(http, conversation_id="conv_erase_1")  # the platform resends an old call after the erasure
    stack.deliver(worker)
    assert leaks(stack) == [] and mem0_users(mem0) == {OTHER_CALLER}  # neither remembered nor kept
    assert returning(http)["returning_caller"] == "no"
    for role in ("http", "worker"):  # no function ever laid a bare delete marker over the caller's data
        assert "s3:DeleteObject" not in stack.roles[role].actions


# -- Must show 2: the references are keyed ---------------------------------------------------------------------


def stored_references(stack: Stack, mem0: FakeMem0Server, conversation: str) -> tuple[set[str], set[str], str]:
    """One call under a cold start of the stack's functions: the archive's user refs, the pending log's names while
    Mem0 has not listed the call, and the erase job's queue message; everything else is erased afterwards."""
    http, worker = stack.runtime("http"), stack.runtime("worker")
    post_call(http, conversation_id=conversation)
    held = hold_a_pending_record(stack, mem0, worker)
    objects = everything(stack)
    refs = {s.metadata["user-ref"] for s in objects if "user-ref" in s.metadata}
    names = {s.key for s in objects if s.key.startswith("mem0-pending/")}
    mem0.release_adds()
    held.join(timeout=15)
    erase(stack, http)
    [message] = stack.sqs.receive_message(QueueUrl=stack.queue_url, VisibilityTimeout=0)["Messages"]
    stack.deliver(worker)
    assert [s.key for s in everything(stack) if not s.key.startswith(ERASED)] == []
    job: str = json.loads(message["Body"])["key"]  # what the queue carries: the erase job's key, nothing else
    return refs, names, job


def test_archive_refs_pending_names_and_erase_jobs_change_with_the_stacks_key(
    stack: Stack, mem0: FakeMem0Server
) -> None:
    refs_a, names_a, job_a = stored_references(stack, mem0, "conv_key_a")
    values = {
        **json.loads(
            stack.session.client("secretsmanager").get_secret_value(SecretId=stack.arns.secret)["SecretString"]
        )
    }
    values["CALLER_REF_KEY"] = KEY_B
    stack.session.client("secretsmanager").put_secret_value(SecretId=stack.arns.secret, SecretString=json.dumps(values))
    refs_b, names_b, job_b = stored_references(stack, mem0, "conv_key_b")  # new cold starts read the new key

    assert len(refs_a) == len(refs_b) == len(names_a) == len(names_b) == 1
    assert refs_a.isdisjoint(refs_b) and names_a.isdisjoint(names_b)
    [ref_a], [ref_b] = refs_a, refs_b
    assert job_a.startswith(f"erase/{ref_a}/") and job_b.startswith(f"erase/{ref_b}/")
    unkeyed = unkeyed_hashes(CALLER)
    for stored in (*refs_a, *refs_b, *names_a, *names_b, job_a, job_b):
        assert not any(digest in stored for digest in unkeyed) and "5555550123" not in stored
    assert SECRET_VALUES["CALLER_REF_KEY"] != KEY_B


def test_no_fixed_prefix_hash_of_the_number_is_stored_anywhere(stack: Stack, mem0: FakeMem0Server) -> None:
    http, worker = stack.runtime("http"), stack.runtime("worker")
    post_call(http, conversation_id="conv_meta_1")
    held = hold_a_pending_record(stack, mem0, worker)
    texts = [s.key + json.dumps(s.metadata) for s in everything(stack)]
    mem0.release_adds()
    held.join(timeout=15)
    assert any("user-ref" in text for text in texts) and any("mem0-pending/" in text for text in texts)
    assert not [text for text in texts for digest in unkeyed_hashes(CALLER) if digest in text]
    assert not [text for text in texts if "5555550123" in text]


# -- Must show 3: what was archived the old way is still erased --------------------------------------------------


def test_an_archive_written_with_the_old_unkeyed_references_is_erased_completely(
    stack: Stack, mem0: FakeMem0Server
) -> None:
    """Objects exactly as the previous version wrote them: events tagged ``sha256("agentic-memory:user-ref:" +
    number)``, the pending record named ``sha256(number)``, rewritten by delete and put (noncurrent versions)."""
    s3, now = stack.s3, datetime.now(UTC)
    http, worker = stack.runtime("http"), stack.runtime("worker")
    post_call(http, caller=OTHER_CALLER, conversation_id="conv_keep_1", name="Lee Other", **OTHERS)
    body = json.dumps({"caller": CALLER, "said": "Dana Whitfield: my dog Biscuit has surgery"}).encode()
    old = {"agent-type": AGENT_TYPE, "received-at": now.isoformat(), "user-ref": legacy_user_ref(CALLER)}
    for conversation in ("conv_old_1", "conv_old_2"):
        s3.put_object(Bucket=BUCKET, Key=f"events/post_call_transcription:{conversation}", Body=body, Metadata=old)
    s3.delete_object(Bucket=BUCKET, Key="events/post_call_transcription:conv_old_2")  # noncurrent, marker on top
    record = "mem0-pending/" + legacy_name(CALLER)
    memory = Memory("m_old", CALLER, AGENT_TYPE, "factual", "Dana Whitfield; Biscuit has surgery", now, None)
    rows = json.dumps([{"memory": memory_to_json(memory), "posted_at": now.isoformat()}]).encode()
    for _ in range(2):  # the old pending log: delete, then put
        s3.delete_object(Bucket=BUCKET, Key=record)
        s3.put_object(Bucket=BUCKET, Key=record, Body=rows, Metadata={"agent-type": AGENT_TYPE})
    assert len(leaks(stack)) >= 3

    erase(stack, http)
    stack.deliver(worker)

    assert leaks(stack) == []
    assert kept(s.key for s in everything(stack)) == {KEPT}
