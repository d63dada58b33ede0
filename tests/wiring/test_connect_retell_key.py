"""``connect retell``: Retell signs every request with the API key connect called it with, so that key is the one
``serve`` verifies with, however it was given (environment, ``--api-key-file``, prompt)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path

from typer.testing import CliRunner

from functions.cli import app
from functions.local import build_local
from shared.http import Request
from shared.settings import Settings
from tests.fakes.retell_api import AGENT_ID, FakeRetell

KEY = "key_retell_signing_test_6d3a"
URL = "https://memory.example.com"


def signed(body: bytes, key: str) -> dict[str, str]:
    stamp = str(int(time.time() * 1000))
    digest = hmac.new(key.encode(), body + stamp.encode(), hashlib.sha256).hexdigest()
    return {"content-type": "application/json", "x-retell-signature": f"v={stamp},d={digest}"}


def test_a_key_from_a_file_is_the_key_serve_verifies_with(tmp_path: Path) -> None:
    """With --api-key-file (or the prompt) serve kept verifying with a key it had generated: Retell's every request,
    signed with the real key, was refused 401 while connect said "wired"."""
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / "secrets.json").write_text(json.dumps({"RETELL_API_KEY": "generated-by-an-earlier-serve-0000"}))
    key_file = tmp_path / "key"
    key_file.write_text(KEY)
    with FakeRetell(KEY) as fake:
        args = ["connect", "retell", "--url", URL, "--agent-id", AGENT_ID, "--api-url", fake.url]
        args += ["--api-key-file", str(key_file), "--data-dir", str(data)]
        result = CliRunner().invoke(app, args, env={"RETELL_API_KEY": "", "AGENT_TYPE": ""})
        assert result.exit_code == 0, result.output
    assert KEY not in result.output and "RETELL_API_KEY written" in result.output

    settings = Settings.from_environ({}, agent_type="retell_appointments", data_dir=data)
    service = build_local(settings, environ={})
    try:
        body = json.dumps(
            {"event": "call_inbound", "call_inbound": {"from_number": "+15555550131", "to_number": "+15555550100"}}
        ).encode()
        answer = service.runtime.app.handle(Request("POST", "/client-data", signed(body, KEY), body))
        assert answer.status == 200, answer.body
    finally:
        service.close()


def test_an_environment_key_other_than_the_signing_key_is_said(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(KEY)
    with FakeRetell(KEY) as fake:
        args = ["connect", "retell", "--url", URL, "--agent-id", AGENT_ID, "--api-url", fake.url]
        args += ["--api-key-file", str(key_file), "--data-dir", str(tmp_path / "data")]
        result = CliRunner().invoke(app, args, env={"RETELL_API_KEY": "key_retell_other_1111", "AGENT_TYPE": ""})
    assert result.exit_code == 0, result.output
    assert "set in the environment to another key" in result.output
    assert "key_retell_other_1111" not in result.output and KEY not in result.output
