"""The GCP worker is fed by a Pub/Sub *push* subscription (so the stack can give it a dead-letter topic), not by
an Eventarc trigger: functions-framework must turn that push into the CloudEvent the ``worker`` target reads,
and a failure must answer non-2xx so Pub/Sub redelivers and finally dead-letters."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import functions_framework
import pytest

import functions.gcp.entry
from functions.messages import encode_message

MAIN = Path(__file__).resolve().parents[2] / "main.py"


class Worker:
    def __init__(self, fail: bool = False) -> None:
        self.keys: list[str] = []
        self.fail = fail

    def process(self, key: str) -> None:
        self.keys.append(key)
        if self.fail:
            raise RuntimeError("store down")


class Runtime:
    def __init__(self, worker: Worker) -> None:
        self.worker = worker


class ColdStart:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def runtime(self) -> Runtime:
        return self._runtime


def push_body(key: str) -> dict[str, Any]:
    """Pub/Sub's push wrapper, as a push subscription POSTs it to the endpoint."""
    return {
        "message": {
            "data": base64.b64encode(encode_message(key).encode()).decode(),
            "messageId": "1234567890",
            "publishTime": "2026-01-01T00:00:00Z",
            "attributes": {},
        },
        "subscription": "projects/am-test-project/subscriptions/am-dev-ingest-push",
    }


@pytest.mark.parametrize("fail", [False, True])
def test_push_reaches_the_worker_target(fail: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    worker = Worker(fail=fail)
    monkeypatch.setattr(functions.gcp.entry, "COLD_START", ColdStart(Runtime(worker)))
    app = functions_framework.create_app(target="worker", source=str(MAIN), signature_type="cloudevent")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().post("/", data=json.dumps(push_body("evt-0001")), content_type="application/json")
    assert worker.keys == ["evt-0001"]
    assert (200 <= response.status_code < 300) is not fail
