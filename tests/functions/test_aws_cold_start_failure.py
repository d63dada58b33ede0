"""Must show: a Lambda HTTP function that cannot start (a missing secret, Secrets Manager or DynamoDB out of reach)
answers every request with a JSON 503, as the Cloud Functions one does, and its log names no caller. Found by an
outside check comparing the runtimes: ``http_handler`` raised, so the invocation failed and API Gateway answered its
own 500 (``{"message":"Internal Server Error"}``; a Function URL a 502), never the service's JSON."""

from __future__ import annotations

import json
import logging

import pytest

from functions.aws import entry as aws
from functions.cold_start import ColdStart
from shared.errors import ConfigError
from shared.runtime import Runtime
from tests.functions.lambda_events import http_event

NUMBER = "+15555550123"


def _cannot_start() -> Runtime:
    raise ConfigError("secret ELEVENLABS_HMAC_KEY is not set but the post_call endpoint needs it (elevenlabs_hmac)")


@pytest.mark.parametrize(
    ("method", "path"),
    [("DELETE", f"/admin/users/{NUMBER}/memories"), ("POST", "/client-data"), ("GET", "/healthz")],
)
def test_a_function_that_cannot_start_answers_json_503_and_logs_no_number(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, method: str, path: str
) -> None:
    monkeypatch.setattr(aws, "COLD_START", ColdStart(_cannot_start))
    body = json.dumps({"caller_id": NUMBER}).encode() if method == "POST" else b""
    with caplog.at_level(logging.DEBUG):
        answer = aws.http_handler(http_event(method, path, {}, body), None)
    assert answer["statusCode"] == 503
    assert answer["headers"]["content-type"] == "application/json"
    assert json.loads(answer["body"]) == {"error": "service unavailable: the function could not start; retry"}
    logged = caplog.text + "".join(str(record.args) for record in caplog.records)
    assert "5550123" not in logged
    assert "could not start" in logged and "ELEVENLABS_HMAC_KEY" in logged  # the operator sees why


def test_the_next_request_tries_to_start_again(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[int] = []

    def build() -> Runtime:
        attempts.append(1)
        return _cannot_start()

    monkeypatch.setattr(aws, "COLD_START", ColdStart(build))
    for _ in range(2):
        assert aws.http_handler(http_event("GET", "/healthz", {}), None)["statusCode"] == 503
    assert len(attempts) == 2
