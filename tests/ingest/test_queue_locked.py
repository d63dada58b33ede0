"""A post-call that cannot be queued (another process holds the local queue's write lock) is answered 503 within a
few seconds, says at ERROR that it is archived but not queued, and a redelivery queues it: nothing is lost, and
serve's one request turn (every pre-call behind it) is not held for 20 s."""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

import pytest

from tests.conftest import CALLER, sign_elevenlabs


def _call() -> bytes:
    now = int(time.time())
    return json.dumps(
        {"type": "post_call_transcription", "event_timestamp": now,
         "data": {"agent_id": "agent_7", "conversation_id": "conv_locked_queue", "status": "done",
                  "transcript": [{"role": "user", "message": "My gate code changed to 4417."}],
                  "metadata": {"start_time_unix_secs": now - 60, "call_duration_secs": 50,
                               "phone_call": {"type": "twilio", "direction": "inbound", "external_number": CALLER}},
                  "analysis": {"transcript_summary": "Caller gave a new gate code."}}}
    ).encode()  # fmt: skip


def test_a_locked_queue_is_a_quick_logged_503_and_the_redelivery_is_kept(
    local_runtime: Any, caplog: pytest.LogCaptureFixture
) -> None:
    local = local_runtime()
    body = _call()
    headers = {"elevenlabs-signature": sign_elevenlabs(body)}
    holder = sqlite3.connect(local.data_dir / "queue.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing, and stuck
    try:
        started = time.monotonic()
        refused = local.call("POST", "/post-call", body, headers)
        waited = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert refused.status == 503 and waited < 5
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert any("archived but not queued" in line for line in errors)
    assert not any(CALLER in r.getMessage() or "4417" in r.getMessage() for r in caplog.records)

    again = local.call("POST", "/post-call", body, headers)  # the platform's retry
    assert again.status == 200 and json.loads(again.body)["status"] == "duplicate"
    local.drain()
    texts = [
        m.text for m in local.runtime.store.get_all(CALLER, "elevenlabs_customer_support", now=local.runtime.clock())
    ]
    assert any("4417" in text for text in texts)
