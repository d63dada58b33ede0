"""Erasure on a deployed GCP stack leaves nothing of the caller in any generation of any object (a versioned bucket
as the stack declares it, each function's storage client bound to its own conditioned grants, the Mem0 backend with
its pending log in the bucket); what the previous version archived with unkeyed references goes too."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from functions.gcp.archive import GcsArchive
from shared.identity import legacy_user_ref
from shared.memory.mem0_codec import memory_to_json
from shared.memory.mem0_pending import ArchivePendingLog, PendingMemory, legacy_name
from shared.memory.models import Memory
from shared.runtime import Runtime
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
)
from tests.functions.gcs_iam import Conditioned
from tests.functions.lambda_events import AGENT_TYPE

NUMBERS = ("+15555550123", "5555550123")
WORDS = ("Dana", "Whitfield", "Biscuit", "surgery", "cleaning", "afternoon")
KEPT = "events/post_call_transcription:conv_keep_1"  # the other caller's event (its template greets "Dana")
ERASED = "events/erased/"  # the record of when a caller was erased: a time, under their keyed hash


def kept(keys: Iterable[str]) -> set[str]:
    """The objects left beside the one record of the erasure."""
    keys = list(keys)
    assert len({key for key in keys if key.startswith(ERASED)}) == 1
    return {key for key in keys if not key.startswith(ERASED)}


OTHERS = {"summary": "Lee asked where the March invoice went.", "user_turns": ("Where is my invoice?",)}


def generations(stack: Stack) -> list[tuple[str, str]]:
    """Every generation in the bucket, live or noncurrent: (name, name + metadata + bytes)."""
    return [
        (name, name + json.dumps(stored.metadata or {}) + stored.data.decode("utf-8", "replace"))
        for name, stored_generations in stack.storage.buckets[BUCKET].items()
        for stored in stored_generations
    ]


def leaks(stack: Stack) -> list[str]:
    found = set()
    for name, text in generations(stack):
        words = NUMBERS if name == KEPT else NUMBERS + WORDS
        found |= {f"{word} in {name}" for word in words if word in text}
    return sorted(found)


@pytest.fixture
def mem0() -> Iterator[FakeMem0Server]:
    with FakeMem0Server() as server:
        yield server


@pytest.fixture
def stack(tmp_path: Path, mem0: FakeMem0Server) -> Iterator[Stack]:
    stack = make_stack(tmp_path, mem0.url)
    yield stack
    stack.close()


def erase(stack: Stack, http: Runtime) -> None:
    response = request(http, "DELETE", f"/admin/users/{CALLER}/memories", headers=ADMIN)
    assert response.status_code == 202


def test_after_erasure_no_generation_of_any_object_holds_the_callers_number_or_words(
    stack: Stack, mem0: FakeMem0Server
) -> None:
    http, worker = stack.runtime("http"), stack.runtime("worker")
    for conversation in ("conv_erase_1", "conv_erase_2"):
        post_call(http, conversation_id=conversation)
    post_call(http, caller=OTHER_CALLER, conversation_id="conv_keep_1", name="Lee Other", **OTHERS)
    stack.deliver(worker)
    stack.storage.bucket(BUCKET).blob("events/post_call_transcription:conv_erase_2").delete()  # now noncurrent
    post_call(http, conversation_id="conv_erase_3")  # still queued when the erasure comes
    # Mem0 accepted two adds but lists neither yet: the worker's pending record, rewritten once per add
    log = ArchivePendingLog(
        GcsArchive(BUCKET, storage_client=Conditioned(stack.storage, grants("worker")), prefix="mem0-pending/"),
        agent_type=AGENT_TYPE,
        name_key=NAME_KEY,
    )
    now = datetime.now(UTC)
    for number, text in enumerate(("Dana Whitfield prefers afternoons", "Biscuit has surgery on Monday")):
        log.put(CALLER, [PendingMemory(Memory(f"m_{number}", CALLER, AGENT_TYPE, "factual", text, now, None), now)])
    assert len(stack.names("mem0-pending/")) == 1  # rewritten in place: no older generation kept
    assert leaks(stack)  # the control: the scan sees the caller where they are

    erase(stack, http)
    stack.deliver(worker)

    assert leaks(stack) == []
    assert kept(name for name, _ in generations(stack)) == {KEPT}
    assert any("invoice" in text for _, text in generations(stack))  # the other caller is untouched
    assert stack.publisher.topics[DEAD_LETTER] == []
    assert mem0_users(mem0) == {OTHER_CALLER}
    assert returning(http)["returning_caller"] == "no"

    post_call(http, conversation_id="conv_erase_1")  # the platform resends an old call after the erasure
    stack.deliver(worker)
    assert leaks(stack) == [] and mem0_users(mem0) == {OTHER_CALLER}  # neither remembered nor kept
    assert returning(http)["returning_caller"] == "no"


def test_an_archive_written_with_the_old_unkeyed_references_is_erased_completely(
    stack: Stack, mem0: FakeMem0Server
) -> None:
    """Generations exactly as the previous version wrote them: events tagged with the unkeyed ref, the pending
    record under ``sha256(number)`` rewritten by delete and create (so noncurrent generations pile up)."""
    http, worker = stack.runtime("http"), stack.runtime("worker")
    post_call(http, caller=OTHER_CALLER, conversation_id="conv_keep_1", name="Lee Other", **OTHERS)
    now = datetime.now(UTC)
    bucket = stack.storage.bucket(BUCKET)
    body = json.dumps({"caller": CALLER, "said": "Dana Whitfield: my dog Biscuit has surgery"})
    for conversation in ("conv_old_1", "conv_old_2"):
        blob = bucket.blob(f"events/post_call_transcription:{conversation}")
        blob.metadata = {"agent-type": AGENT_TYPE, "received-at": now.isoformat(), "user-ref": legacy_user_ref(CALLER)}
        blob.upload_from_string(body, if_generation_match=0)
    bucket.blob("events/post_call_transcription:conv_old_2").delete()
    memory = Memory("m_old", CALLER, AGENT_TYPE, "factual", "Dana Whitfield; Biscuit has surgery", now, None)
    rows = json.dumps([{"memory": memory_to_json(memory), "posted_at": now.isoformat()}])
    record = "mem0-pending/" + legacy_name(CALLER)
    for _ in range(2):
        if bucket.live(record):
            bucket.blob(record).delete()
        bucket.blob(record).upload_from_string(rows, if_generation_match=0)
    assert len(stack.names("mem0-pending/")) == 2 and len(leaks(stack)) >= 3

    erase(stack, http)
    stack.deliver(worker)

    assert leaks(stack) == []
    assert kept(name for name, _ in generations(stack)) == {KEPT}
