"""Checks from outside over real HTTP against `serve`, with requests shaped like the platforms' own."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from typing import Any

from tests.conftest import CALLER, TEST_SECRETS, elevenlabs_post_call, sign_elevenlabs
from tests.http.conftest import REPO, serve_command

WORKSPACE = {"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}
ADMIN = {"X-Admin-Key": TEST_SECRETS["ADMIN_API_KEY"]}
TURN_FIELDS = {  # what every turn of a real post_call_transcription carries besides role and message
    "tool_calls": [],
    "tool_results": [],
    "feedback": None,
    "llm_override": None,
    "conversation_turn_metrics": {"metrics": {"convai_llm_service_ttfb": {"elapsed_time": 0.31}}},
    "rag_retrieval_info": None,
    "llm_usage": {"model_usage": {"gpt-4o-mini": {"input": {"tokens": 2345, "price": 0.00035}}}},
    "interrupted": False,
    "original_message": None,
    "source_medium": "audio",
}


def test_a_long_calls_post_call_over_1_mib_is_remembered(serve: Any) -> None:
    """A two-hour call's event passes 1 MiB; it was refused with a 413, so the caller was forgotten."""
    served = serve()
    turns = tuple(f"Turn {i}: about my appointment, and my dog Biscuit number {i}." for i in range(2500))
    event = elevenlabs_post_call(conversation_id="conv_long_http", user_turns=turns)
    for turn in event["data"]["transcript"]:
        turn.update(TURN_FIELDS)
    body = json.dumps(event).encode()
    assert len(body) > 1024 * 1024
    with served.client() as http:
        ack = http.post("/post-call", content=body, headers={"ElevenLabs-Signature": sign_elevenlabs(body)})
        assert ack.status_code == 200 and ack.json() == {"status": "queued"}

        def remembered() -> bool:
            return http.get(f"/admin/users/{CALLER}/memories", headers=ADMIN).json()["count"] > 0

        served.wait_for(remembered, timeout=30)
        found = http.post("/retrieve", json={"query": "Biscuit number 1234", "user_id": CALLER}, headers=WORKSPACE)
        assert found.status_code == 200 and found.json()["count"] > 0
        big_pre_call = {"caller_id": CALLER, "padding": "x" * (1024 * 1024)}
        assert http.post("/client-data", json=big_pre_call, headers=WORKSPACE).status_code == 413
        nan = http.post("/client-data", content=b'{"caller_id": NaN}', headers=WORKSPACE)
        assert nan.status_code == 400 and nan.json() == {"error": "request body is not valid JSON"}


def test_serve_on_a_busy_port_says_so_before_anything_else(tmp_path: Any) -> None:
    """It printed "serving ..." and freshly generated secrets, then gunicorn retried for 5 s and gave up."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [*serve_command(), "serve", "--port", str(port), "--data-dir", str(tmp_path / "data")]
        env = {k: v for k, v in os.environ.items() if k not in TEST_SECRETS}
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "pass --port" in done.stderr
    assert "serving" not in done.stdout and not (tmp_path / "data" / "secrets.json").exists()
