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
