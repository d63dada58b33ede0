"""A bundle whose embedding model is missing or damaged still answers the tool (by words) and still stores every
call (without meaning vectors, added once the model is back): before, every tool call was a 500 and every post-call
event went to the dead letters."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

import shared.memory.embedding as embedding
from tests.conftest import CALLER, TEST_SECRETS, sign_elevenlabs

WORKSPACE = {"x-workspace-key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}


def _call(conversation: str) -> bytes:
    now = int(time.time())
    return json.dumps(
        {"type": "post_call_transcription", "event_timestamp": now,
         "data": {"agent_id": "agent_9", "conversation_id": conversation, "status": "done",
                  "transcript": [{"role": "user", "message": "Please send the invoice to 40 Birch Lane."}],
                  "metadata": {"start_time_unix_secs": now - 90, "call_duration_secs": 80,
                               "phone_call": {"type": "twilio", "direction": "inbound", "external_number": CALLER}},
                  "analysis": {"transcript_summary": "Caller asked for the invoice by post."}}}
    ).encode()  # fmt: skip


@pytest.mark.parametrize("broken", [FileNotFoundError(2, "No such file"), ValueError("inconsistent model")])
def test_without_the_model_calls_are_stored_and_searched_by_words(
    local_runtime: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, broken: Exception
) -> None:
    local = local_runtime()

    def unloadable() -> Any:
        raise broken

    monkeypatch.setattr(embedding, "model", unloadable)
    body = _call("conv_model_gone")
    accepted = local.call("POST", "/post-call", body, {"elevenlabs-signature": sign_elevenlabs(body)})
    assert accepted.status == 200
    local.drain()
    assert local.queue.counts() == {"done": 1}
    stored = local.runtime.store.get_all(CALLER, "elevenlabs_customer_support", now=local.runtime.clock())
    assert stored and all(memory.vector is None for memory in stored)

    found = local.call("POST", "/retrieve", {"query": "invoice address", "caller_id": CALLER}, WORKSPACE)
    assert found.status == 200 and "Birch Lane" in json.loads(found.body)["result"]
    assert any(
        "embedding model could not be loaded" in r.getMessage() for r in caplog.records if r.levelname == "ERROR"
    )

    monkeypatch.undo()  # the model is back: the next search gives the stored memories their vectors
    again = local.call("POST", "/retrieve", {"query": "invoice address", "caller_id": CALLER}, WORKSPACE)
    assert again.status == 200 and "Birch Lane" in json.loads(again.body)["result"]
    stored = local.runtime.store.get_all(CALLER, "elevenlabs_customer_support", now=local.runtime.clock())
    assert all(memory.vector is not None for memory in stored)
