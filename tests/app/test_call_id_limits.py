"""A call id names the archived body's object (S3 and Cloud Storage: at most 1,024 bytes, Cloud Storage without CR or
LF). One no archive can name is refused with a 422 on every backend, before anything is archived or queued: serve took
it (its files are named by a hash) while a deployed stack answered 503 on every one of the platform's retries."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import CALLER, TEST_SECRETS, elevenlabs_post_call, sign_elevenlabs

MAX_KEY_BYTES = 512  # shared.ingest.intake.MAX_KEY_BYTES: room for the archive prefix within 1,024 bytes
PREFIX = "post_call_transcription:"  # the ElevenLabs event's key is its type and its conversation id


def post(local: Any, payload: Any) -> Any:
    body = json.dumps(payload).encode()
    return local.call("POST", "/post-call", body, {"ElevenLabs-Signature": sign_elevenlabs(body)})


def nothing_kept(local: Any) -> bool:
    return not list(local.runtime.archive.entries()) and not local.queue.keys("pending")


@pytest.mark.parametrize(
    "conversation_id",
    ["c" * (MAX_KEY_BYTES - len(PREFIX) + 1), "é" * 300, "conv_\nline_two", "conv_\rx", "conv_\x00x"],
    ids=["one byte too long", "long in UTF-8", "line feed", "carriage return", "nul"],
)
def test_a_call_id_no_archive_can_name_is_refused_and_nothing_is_kept(local_runtime: Any, conversation_id: str) -> None:
    local = local_runtime()
    answer = post(local, elevenlabs_post_call(conversation_id=conversation_id))
    assert answer.status == 422
    assert conversation_id not in answer.body.decode("utf-8", "replace")  # never echoed
    assert json.loads(answer.body)["error"].startswith("the call id must be at most")
    assert nothing_kept(local)


def test_the_longest_call_id_an_archive_takes_is_remembered(local_runtime: Any) -> None:
    local = local_runtime()
    conversation_id = "c" * (MAX_KEY_BYTES - len(PREFIX))
    answer = post(local, elevenlabs_post_call(conversation_id=conversation_id))
    assert answer.status == 200 and json.loads(answer.body) == {"status": "queued"}
    local.drain()
    admin = {"x-admin-key": TEST_SECRETS["ADMIN_API_KEY"]}
    listed = local.call("GET", f"/admin/users/{CALLER}/memories", headers=admin)
    assert json.loads(listed.body)["count"] > 0


def test_a_batch_with_one_such_call_id_keeps_none_of_its_events(local_runtime: Any) -> None:
    local = local_runtime()
    good = elevenlabs_post_call(conversation_id="conv_batch_ok")
    bad = elevenlabs_post_call(conversation_id="c" * 2000)
    assert post(local, [good, bad]).status == 422
    assert nothing_kept(local)
