"""Log lines name a caller only by their keyed reference: never the number, not even masked (a masked number
leaves about ten thousand candidates), so the logs' retention holds no caller."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from tests.conftest import CALLER, TEST_SECRETS, elevenlabs_post_call, sign_elevenlabs

ADMIN = {"X-Admin-Key": TEST_SECRETS["ADMIN_API_KEY"]}


def test_remembering_and_erasing_log_the_keyed_reference_only(
    local_runtime: Any, caplog: pytest.LogCaptureFixture
) -> None:
    local = local_runtime()
    ref = local.runtime.service.identity.user_ref(CALLER)
    caplog.set_level(logging.INFO, logger="agentic_memory")
    body = json.dumps(elevenlabs_post_call()).encode()
    assert local.call("POST", "/post-call", body, {"ElevenLabs-Signature": sign_elevenlabs(body)}).status == 200
    local.drain()
    assert local.call("DELETE", f"/admin/users/{CALLER}/memories", b"", ADMIN).status == 200

    lines = [record.getMessage() for record in caplog.records]
    assert any(f"caller {ref}" in line and "remembered" in line for line in lines)
    assert any(f"erased caller {ref}" in line for line in lines)
    digits = CALLER.lstrip("+")
    assert not [line for line in lines if digits[-7:] in line or "***" in line]  # neither whole nor masked
