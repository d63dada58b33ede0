"""Issue 2's Must show 1 and 2 over real HTTP against `agentic-memory serve` in a subprocess."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from typing import Any

from tests.conftest import CALLER, TEST_SECRETS, elevenlabs_post_call, sign_elevenlabs
from tests.http.conftest import REPO, serve_command

WORKSPACE = {"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}
ADMIN = {"X-Admin-Key": TEST_SECRETS["ADMIN_API_KEY"]}


def signed(event: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event).encode()
    return body, {"ElevenLabs-Signature": sign_elevenlabs(body), "Content-Type": "application/json"}


def test_caller_remembered_across_calls_over_http(serve: Any) -> None:
    served = serve()
    with served.client() as http:
        body, headers = signed(elevenlabs_post_call())
        ack = http.post("/post-call", content=body, headers=headers)
        assert ack.status_code == 200 and ack.json()["status"] == "queued"

        def remembered() -> bool:
            listing = http.get(f"/admin/users/{CALLER}/memories", headers=ADMIN)
            return listing.status_code == 200 and listing.json()["count"] > 0

        served.wait_for(remembered)
        answer = http.post(
            "/client-data",
            json={
                "caller_id": "+1 555 555-0123",
                "agent_id": "agent_1",
                "called_number": "+15555550100",
                "call_sid": "CA1",
            },
            headers=WORKSPACE,
        )
        assert answer.status_code == 200
        data = answer.json()
        assert data["type"] == "conversation_initiation_client_data"
        assert "Hello Dana," in data["conversation_config_override"]["agent"]["first_message"]
        assert data["dynamic_variables"]["caller_name"] == "Dana Whitfield"
        assert "move her cleaning to next week" in data["dynamic_variables"]["memory_context"]
        tool = http.post(
            "/retrieve", json={"query": "what is the name of the dog", "user_id": "555-555-0123"}, headers=WORKSPACE
        )
        assert tool.status_code == 200
        assert any("Biscuit" in memory["text"] for memory in tool.json()["memories"])


def test_redelivered_event_leaves_one_set_over_http(serve: Any) -> None:
    served = serve()
    with served.client() as http:
        body, headers = signed(elevenlabs_post_call(conversation_id="conv_three_times"))
        statuses = [http.post("/post-call", content=body, headers=headers).json()["status"] for _ in range(3)]
        assert statuses[0] == "queued" and statuses[1:] == ["duplicate", "duplicate"]
        listing: dict[str, Any] = {}

        def settled() -> bool:
            listing.update(http.get(f"/admin/users/{CALLER}/memories", headers=ADMIN).json())
            return listing["count"] == 5

        served.wait_for(settled)
        texts = [m["text"] for m in listing["memories"]]
        assert len(texts) == len(set(texts)) == 5


def test_rejections_over_http(serve: Any) -> None:
    served = serve()
    with served.client() as http:
        body, _ = signed(elevenlabs_post_call())
        assert http.post("/post-call", content=body, headers={"ElevenLabs-Signature": "t=1,v0=00"}).status_code == 401
        assert http.post("/post-call", content=body).status_code == 401
        assert http.post("/client-data", json={"caller_id": CALLER}).status_code == 401
        too_big = http.post("/client-data", content=b"{" + b" " * (1024 * 1024 + 10) + b"}", headers=WORKSPACE)
        assert too_big.status_code == 413 and "error" in too_big.json()
        assert http.post("/client-data", content=b"{oops", headers=WORKSPACE).status_code == 400
        assert http.get("/does-not-exist").status_code == 404
        assert http.get("/robots.txt").status_code == 404
        assert http.get(f"/admin/users/{CALLER}/memories", headers=WORKSPACE).status_code == 401
    assert not list((served.data_dir / "archive").glob("*.json"))


def test_missing_secrets_are_generated_once_kept_private_and_named_never_printed(serve: Any) -> None:
    served = serve(secrets={})
    secrets_file = served.data_dir / "secrets.json"
    stored = json.loads(secrets_file.read_text())
    assert {"ELEVENLABS_WORKSPACE_KEY", "ELEVENLABS_HMAC_KEY", "ADMIN_API_KEY", "CALLER_REF_KEY"} <= set(stored)
    assert stat.S_IMODE(os.stat(secrets_file).st_mode) == 0o600
    log = served.log.read_text()
    assert str(secrets_file) in log and all(name in log for name in stored)  # where to find each one
    assert not [name for name, value in stored.items() if value in log]  # a terminal's output ends up in logs
    assert len(stored["CALLER_REF_KEY"]) >= 32
    with served.client() as http:
        ok = http.post(
            "/client-data", json={"caller_id": CALLER}, headers={"X-Workspace-Key": stored["ELEVENLABS_WORKSPACE_KEY"]}
        )
        assert ok.status_code == 200
        assert http.post("/client-data", json={"caller_id": CALLER}, headers={}).status_code == 401


def test_unknown_agent_type_fails_at_start_with_a_clear_message(tmp_path: Any) -> None:
    result = subprocess.run(
        [*serve_command(), "serve", "--agent-type", "nope", "--data-dir", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "unknown agent type 'nope'" in result.stderr
    assert "Traceback" not in result.stderr
