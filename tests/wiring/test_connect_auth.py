"""``connect`` gives the platform the header and secret the agent type checks: an agent type naming its own header
(``auth.client_data.header``) got ``X-Workspace-Key``/``X-Vapi-Secret`` all the same, and every call was refused 401.
A credential the wiring cannot set (an HMAC scheme on a Vapi endpoint) is refused before anything changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from functions.cli import app
from functions.local import build_local
from shared.http import Request
from shared.settings import Settings
from tests.fakes.elevenlabs_api import AGENT_ID, FakeElevenLabs
from tests.fakes.vapi_api import ASSISTANT_ID, PHONE_NUMBER_ID, FakeVapi
from tests.wiring.test_connect_agent_type import agent_types

URL = "https://memory.example.com"
EL_KEY = "xi-auth-test-2c7d"
VAPI_KEY = "vapi-auth-test-9e4b"
HEADER = "X-Memory-Secret"


def header_auth(secret: str) -> dict[str, Any]:
    credential = {"scheme": "header", "header": HEADER, "secret": secret}
    return {"auth.client_data": credential, "auth.retrieve": credential}


def answered(data: Path, config: Path, agent_type: str, path: str, headers: dict[str, str], body: Any) -> int:
    """The status ``serve`` (same data dir and config) gives a request as the platform would send it."""
    settings = Settings.from_environ({}, agent_type=agent_type, data_dir=data, config_path=config)
    service = build_local(settings, environ={})
    try:
        raw = json.dumps(body).encode()
        lowered = {name.lower(): value for name, value in headers.items()}
        return service.runtime.app.handle(
            Request("POST", path, {**lowered, "content-type": "application/json"}, raw)
        ).status
    finally:
        service.close()


def test_elevenlabs_gets_the_header_the_agent_type_checks(tmp_path: Path) -> None:
    config = agent_types(tmp_path, elevenlabs_customer_support=header_auth("ELEVENLABS_WORKSPACE_KEY"))
    data = tmp_path / "data"
    with FakeElevenLabs(EL_KEY) as fake:
        args = ["connect", "elevenlabs", "--url", URL, "--agent-id", AGENT_ID, "--api-url", fake.url]
        args += ["--config", str(config), "--data-dir", str(data)]
        result = CliRunner().invoke(app, args, env={"ELEVENLABS_API_KEY": EL_KEY, "ELEVENLABS_WORKSPACE_KEY": ""})
        assert result.exit_code == 0, result.output
        overrides = fake.agents[AGENT_ID]["platform_settings"]["workspace_overrides"]
        sent = overrides["conversation_initiation_client_data_webhook"]["request_headers"]
        ((tool,),) = [list(fake.tools.values())]
        tool_headers = tool["api_schema"]["request_headers"]
        assert set(tool_headers) == {HEADER} and HEADER in sent
        value = fake.secrets[sent[HEADER]["secret_id"]]["value"]
    status = answered(
        data, config, "elevenlabs_customer_support", "/client-data", {HEADER: value}, {"caller_id": "+15555550132"}
    )
    assert status == 200


def test_vapi_gets_the_header_the_agent_type_checks(tmp_path: Path) -> None:
    credential = {"scheme": "bearer_or_header", "header": HEADER, "secret": "VAPI_SECRET"}
    changes = {f"auth.{endpoint}": credential for endpoint in ("client_data", "retrieve", "post_call")}
    config = agent_types(tmp_path, vapi_receptionist={**changes, "response.assistant_id": ASSISTANT_ID})
    data = tmp_path / "data"
    with FakeVapi(VAPI_KEY) as fake:
        args = ["connect", "vapi", "--url", URL, "--phone-number-id", PHONE_NUMBER_ID, "--api-url", fake.url]
        args += ["--config", str(config), "--data-dir", str(data)]
        result = CliRunner().invoke(app, args, env={"VAPI_API_KEY": VAPI_KEY, "VAPI_SECRET": "", "AGENT_TYPE": ""})
        assert result.exit_code == 0, result.output
        server = fake.numbers[PHONE_NUMBER_ID]["server"]
    assert set(server["headers"]) == {HEADER}
    message = {"message": {"type": "assistant-request", "call": {"id": "c1", "customer": {"number": "+15555550133"}}}}
    assert answered(data, config, "vapi_receptionist", "/client-data", server["headers"], message) == 200


@pytest.mark.parametrize(
    "auth",
    [
        {
            "auth.post_call": {
                "scheme": "hmac",
                "secret": "VAPI_SECRET",
                "hmac": {"algorithm": "sha256", "signature_header": "x-signature", "payload_format": "{body}"},
            }
        },
        {"auth.retrieve": {"scheme": "bearer_or_header", "header": HEADER, "secret": "VAPI_SECRET"}},
    ],
)
def test_vapi_refused_when_the_agent_type_checks_a_credential_connect_cannot_set(
    tmp_path: Path, auth: dict[str, Any]
) -> None:
    config = agent_types(tmp_path, vapi_receptionist={**auth, "response.assistant_id": ASSISTANT_ID})
    with FakeVapi(VAPI_KEY) as fake:
        args = ["connect", "vapi", "--url", URL, "--phone-number-id", PHONE_NUMBER_ID, "--api-url", fake.url]
        args += ["--config", str(config), "--data-dir", str(tmp_path / "data")]
        result = CliRunner().invoke(app, args, env={"VAPI_API_KEY": VAPI_KEY, "VAPI_SECRET": "", "AGENT_TYPE": ""})
        assert result.exit_code == 1, result.output
        assert "401" in result.output and "auth" in result.output
        assert fake.calls == []
