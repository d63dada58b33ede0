"""An archive write killed between its claim and its files (SIGKILL, power loss) does not lose the event: the
platform's redelivery takes the abandoned claim over once it is stale, and the call is remembered. Before, every
redelivery was answered "duplicate" of nothing and the worker skipped it as erased."""

from __future__ import annotations

import hashlib
import json
import os
import time
from typing import Any

from tests.conftest import CALLER, sign_elevenlabs

KEY = "post_call_transcription:conv_killed_mid_write"


def _call() -> bytes:
    now = int(time.time())
    return json.dumps(
        {"type": "post_call_transcription", "event_timestamp": now,
         "data": {"agent_id": "agent_5", "conversation_id": "conv_killed_mid_write", "status": "done",
                  "transcript": [{"role": "user", "message": "Deliver the sofa on Thursday."}],
                  "metadata": {"start_time_unix_secs": now - 60, "call_duration_secs": 40,
                               "phone_call": {"type": "twilio", "direction": "inbound", "external_number": CALLER}},
                  "analysis": {"transcript_summary": "Caller booked a Thursday sofa delivery."}}}
    ).encode()  # fmt: skip


def _abandon_claim(local: Any, age: float) -> None:
    claim = local.data_dir / "archive" / f"{hashlib.sha256(KEY.encode()).hexdigest()}.claim"
    claim.touch()
    os.utime(claim, (time.time() - age, time.time() - age))


def test_a_stale_claim_without_its_event_is_taken_over(local_runtime: Any) -> None:
    local = local_runtime()
    _abandon_claim(local, 3600)  # an hour: well past any write in progress
    body = _call()
    answer = local.call("POST", "/post-call", body, {"elevenlabs-signature": sign_elevenlabs(body)})
    assert answer.status == 200 and json.loads(answer.body)["status"] == "queued"
    local.drain()
    texts = [
        m.text for m in local.runtime.store.get_all(CALLER, "elevenlabs_customer_support", now=local.runtime.clock())
    ]
    assert any("Thursday" in text for text in texts)


def test_a_fresh_claim_is_another_writer_at_work(local_runtime: Any) -> None:
    local = local_runtime()
    _abandon_claim(local, 1)
    body = _call()
    answer = local.call("POST", "/post-call", body, {"elevenlabs-signature": sign_elevenlabs(body)})
    assert answer.status == 200 and json.loads(answer.body)["status"] == "duplicate"
