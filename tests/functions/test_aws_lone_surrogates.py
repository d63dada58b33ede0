"""A Lambda event is JSON: a header or a body may carry an unpaired surrogate (``"\\ud800"``) that no HTTP server
hands over. Found by an outside check: a secret header holding one was a 500 ``internal error`` (the header secret's
comparison encoded it), and a body holding one was refused as "not valid base64" though it never claimed base64."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.aws.entry import serve_http
from tests.conftest import CALLER, TEST_SECRETS
from tests.functions.lambda_events import http_event


def _event(path: str, headers: dict[str, str], body: str) -> dict[str, Any]:
    event = http_event("POST", path, headers)
    event["body"], event["isBase64Encoded"] = body, False
    return event


@pytest.mark.parametrize(
    ("agent_type", "header", "path"),
    [
        ("elevenlabs_customer_support", "x-workspace-key", "/client-data"),
        ("elevenlabs_customer_support", "x-workspace-key", "/retrieve"),
        ("generic_voice_agent", "x-api-key", "/client-data"),
        ("generic_voice_agent", "x-api-key", "/post-call"),
    ],
)
def test_a_lone_surrogate_in_a_secret_header_is_a_401(
    local_runtime: Any, agent_type: str, header: str, path: str
) -> None:
    local = local_runtime(agent_type)
    answer = serve_http(local.runtime, _event(path, {header: "\ud800"}, json.dumps({"caller_id": CALLER})))
    assert answer["statusCode"] == 401
    assert json.loads(answer["body"]) == {"error": "invalid credentials"}
    assert list(local.runtime.archive.entries()) == []


def test_a_lone_surrogate_in_a_plain_body_is_invalid_json(local_runtime: Any) -> None:
    local = local_runtime()
    headers = {"x-workspace-key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}
    answer = serve_http(local.runtime, _event("/client-data", headers, '{"caller_id": "+1555\ud800"}'))
    assert answer["statusCode"] == 400
    assert json.loads(answer["body"]) == {"error": "request body is not valid JSON"}
