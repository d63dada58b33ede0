"""Must show: a Cloud Functions HTTP instance that cannot start (a missing secret, Secret Manager or the store out of
reach) answers every request with a JSON 503, and its log names no caller. Left to Flask, each request was logged as
``Exception on /admin/users/+15555550123/memories [DELETE]`` (the whole number, at ERROR, with a traceback) and the
platform got an HTML 500."""

from __future__ import annotations

import json
import logging

import pytest

from functions.cold_start import ColdStart
from functions.gcp import entry as gcp
from shared.errors import ConfigError
from shared.runtime import Runtime
from tests.functions.gcf_targets import target_app

NUMBER = "+15555550123"


def _cannot_start() -> Runtime:
    raise ConfigError("secret ELEVENLABS_WORKSPACE_KEY is not set but the client_data endpoint needs it (header)")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", f"/admin/users/{NUMBER}/memories"),
        ("GET", f"/analytics/users/{NUMBER}"),
        ("POST", "/client-data"),
    ],
)
def test_an_instance_that_cannot_start_answers_json_503_and_logs_no_number(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, method: str, path: str
) -> None:
    monkeypatch.setattr(gcp, "COLD_START", ColdStart(_cannot_start))
    client = target_app("http", "http", monkeypatch).test_client()
    with caplog.at_level(logging.DEBUG):
        answer = client.open(path, method=method, json={"caller_id": NUMBER} if method == "POST" else None)
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("application/json")
    assert "error" in json.loads(answer.data)
    logged = caplog.text + "".join(str(record.args) for record in caplog.records)
    assert "5550123" not in logged
    assert "could not start" in logged and "ELEVENLABS_WORKSPACE_KEY" in logged  # the operator sees why


def test_the_next_request_tries_to_start_again(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[int] = []

    def build() -> Runtime:
        attempts.append(1)
        return _cannot_start()

    monkeypatch.setattr(gcp, "COLD_START", ColdStart(build))
    client = target_app("http", "http", monkeypatch).test_client()
    assert client.get("/healthz").status_code == 503
    assert client.get("/healthz").status_code == 503
    assert len(attempts) == 2
