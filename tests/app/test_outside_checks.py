"""Found by checking the service from outside, as a platform would call it: each test failed before its fix."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from tests.conftest import CALLER, TEST_SECRETS, elevenlabs_post_call, sign_elevenlabs

WORKSPACE = {"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}
ADMIN = {"X-Admin-Key": TEST_SECRETS["ADMIN_API_KEY"]}


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
@pytest.mark.parametrize("path", ["/client-data", "/retrieve", "/post-call"])
def test_nan_and_infinity_are_not_json(local_runtime: Any, constant: bytes, path: str) -> None:
    """Python's json reads ``NaN``; a caller id "nan" was then answered (and remembered) as a real caller."""
    local = local_runtime()
    body = b'{"caller_id": ' + constant + b', "user_id": ' + constant + b', "query": "dog"}'
    headers = {"ElevenLabs-Signature": sign_elevenlabs(body)} if path == "/post-call" else WORKSPACE
    response = local.call("POST", path, body, headers)
    assert response.status == 400, response.body
    assert json.loads(response.body) == {"error": "request body is not valid JSON"}
    assert list(local.runtime.archive.entries()) == []


def test_a_nan_in_a_signed_post_call_stores_nothing(local_runtime: Any) -> None:
    local = local_runtime()
    event = json.dumps(elevenlabs_post_call()).replace('"call_duration_secs": ', '"call_duration_secs": NaN, "x": ')
    body = event.encode()
    response = local.call("POST", "/post-call", body, {"ElevenLabs-Signature": sign_elevenlabs(body)})
    assert response.status == 400
    assert list(local.runtime.archive.entries()) == [] and local.queue.counts() == {}


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/client-data", {"X-Workspace-Key": "rotated-away"}),
        ("/retrieve", {}),
        ("/post-call", {"ElevenLabs-Signature": "t=1,v0=00"}),
        ("/admin/users/+15555550123/memories", {"X-Admin-Key": "nope"}),
    ],
)
def test_authentication_failures_are_logged_as_warnings_without_secrets(
    local_runtime: Any, caplog: pytest.LogCaptureFixture, path: str, headers: dict[str, str]
) -> None:
    """Deployed, INFO is not logged (Lambda's root logger is at WARNING): a rotated key failed unseen."""
    local = local_runtime()
    body = json.dumps({"caller_id": CALLER, "query": "dog"}).encode()
    with caplog.at_level(logging.WARNING, logger="agentic_memory"):
        method = "GET" if path.startswith("/admin") else "POST"
        response = local.call(method, path, body if method == "POST" else b"", headers)
    assert response.status == 401
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "authentication failed" in r.message]
    assert len(warnings) == 1, caplog.text
    text = caplog.text
    assert "rotated-away" not in text and "nope" not in text and CALLER not in text and "5550123" not in text
    assert "/users/{user_id}" in text or not path.startswith("/admin")


def _signed(local: Any, payload: Any) -> Any:
    body = json.dumps(payload).encode()
    return local.call("POST", "/post-call", body, {"ElevenLabs-Signature": sign_elevenlabs(body)})


def test_every_element_of_an_array_envelope_is_taken(local_runtime: Any) -> None:
    """The original took only the first element of an array envelope (original-system.md, defect 17)."""
    local = local_runtime()
    first = elevenlabs_post_call(conversation_id="conv_batch_1", user_turns=("My dog Biscuit has surgery.",))
    second = elevenlabs_post_call(conversation_id="conv_batch_2", user_turns=("My cat Tom needs a vaccine.",))
    audio = {"type": "post_call_audio", "event_timestamp": 1, "data": {"conversation_id": "c", "full_audio": ""}}
    response = _signed(local, [first, second, audio])
    assert response.status == 200, response.body
    answer = json.loads(response.body)
    assert [e["status"] for e in answer["events"]] == ["queued", "queued", "ignored"]
    local.drain()
    texts = {m.text for m in local.runtime.service.manager.recent(CALLER)}
    assert "My dog Biscuit has surgery." in texts and "My cat Tom needs a vaccine." in texts
    again = json.loads(_signed(local, [first, second]).body)
    assert [e["status"] for e in again["events"]] == ["duplicate", "duplicate"]


@pytest.mark.parametrize(
    "batch",
    [[], [1], [{"type": "post_call_transcription", "data": {}}], [{"x": 1}] * 101],
    ids=["empty", "not objects", "one without a conversation id", "too many"],
)
def test_a_bad_array_envelope_changes_nothing(local_runtime: Any, batch: list[Any]) -> None:
    local = local_runtime()
    good = elevenlabs_post_call(conversation_id="conv_batch_ok")
    response = _signed(local, [good, *batch] if batch and batch[0] != 1 else batch)
    assert response.status in (400, 422) and "error" in json.loads(response.body)
    assert list(local.runtime.archive.entries()) == [] and local.queue.counts() == {}
