"""Events for the cloud edges: AWS's documented event shapes filled with a signed ElevenLabs post-call and pre-call."""

from __future__ import annotations

import base64
import copy
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from shared.auth.elevenlabs import ElevenLabsSignature
from shared.secrets import Secret

EVENTS = Path(__file__).parent / "events"
AGENT_TYPE = "elevenlabs_customer_support"
CALLER = "+15555550123"
SECRET_VALUES = {
    "ELEVENLABS_HMAC_KEY": "test-hmac-key-0123456789",
    "ELEVENLABS_WORKSPACE_KEY": "test-workspace-key-0123456789",
    "ADMIN_API_KEY": "test-admin-key-0123456789",
    "CALLER_REF_KEY": "test-caller-ref-key-0123456789-abcdefghij",
}
REGION = "us-east-1"


def load_event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return data


def http_event(
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes = b"",
    *,
    base64_body: bool = False,
    template: str = "apigw_http_api_v2.json",
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """AWS's documented payload 2.0 example with this request's method, path, headers and body filled in."""
    event = copy.deepcopy(load_event(template))
    event["rawPath"] = path
    event["requestContext"]["http"].update(method=method, path=path)
    event["headers"] = {**event["headers"], **{k.lower(): v for k, v in headers.items()}}
    event["queryStringParameters"] = query or {}
    event["rawQueryString"] = urlencode(query or {})  # as received: percent-encoded
    event["cookies"] = []
    event["body"] = base64.b64encode(body).decode() if base64_body else body.decode()
    event["isBase64Encoded"] = base64_body
    return event


def sqs_event(records: list[tuple[str, str]]) -> dict[str, Any]:
    """AWS's documented SQS batch event with (messageId, body) records."""
    template = load_event("sqs_batch.json")["Records"][0]
    return {"Records": [{**copy.deepcopy(template), "messageId": mid, "body": body} for mid, body in records]}


def post_call_body() -> bytes:
    return (EVENTS / "elevenlabs_post_call.json").read_bytes()


def pre_call_body() -> bytes:
    return (EVENTS / "elevenlabs_client_data.json").read_bytes()


def sign(body: bytes, now: float | None = None) -> str:
    return ElevenLabsSignature(Secret(SECRET_VALUES["ELEVENLABS_HMAC_KEY"])).sign(body, int(now or time.time()))


def post_call_event(
    body: bytes | None = None, *, base64_body: bool = True, template: str = "apigw_http_api_v2.json"
) -> dict[str, Any]:
    raw = post_call_body() if body is None else body
    headers = {"ElevenLabs-Signature": sign(raw), "Content-Type": "application/json"}
    return http_event("POST", "/post-call", headers, raw, base64_body=base64_body, template=template)


def pre_call_event(*, template: str = "apigw_http_api_v2.json") -> dict[str, Any]:
    headers = {"X-Workspace-Key": SECRET_VALUES["ELEVENLABS_WORKSPACE_KEY"], "Content-Type": "application/json"}
    return http_event("POST", "/client-data", headers, pre_call_body(), template=template)
