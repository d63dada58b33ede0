"""``connect`` wires what the service of the agent type accepts: another platform's agent type, hooks it does not
serve, or (Vapi) an assistant other than the one its pre-call answer names are refused before anything changes."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from functions.cli import app
from functions.wiring import Endpoints, WiringError
from functions.wiring.vapi import VapiTarget, api, wire
from shared.secrets import Secret
from tests.fakes.elevenlabs_api import AGENT_ID, FakeElevenLabs
from tests.fakes.vapi_api import ASSISTANT_ID, PHONE_NUMBER_ID, FakeVapi

URL = "https://memory.example.com"
EL_KEY = "xi-agent-type-test-5b1e"
VAPI_KEY = "vapi-agent-type-test-8c2f"
REAL_ASSISTANT = "5a1d0c3e-7b2f-4e6a-9d8c-1f0e2d3c4b5a"


def agent_types(tmp_path: Path, **changes: dict[str, Any]) -> Path:
    """The shipped config with some agent types changed (``name={"path.to.key": value}``)."""
    config = json.loads(Path("config/agent_types.json").read_text())
    config.pop("$schema", None)
    for name, updates in changes.items():
        for dotted, value in updates.items():
            node = config["agent_types"][name]
            *parents, last = dotted.split(".")
            for key in parents:
                node = node.setdefault(key, {})
            node[last] = value
    path = tmp_path / "agent_types.json"
    path.write_text(json.dumps(config))
    return path


def vapi(fake: FakeVapi, tmp_path: Path, *extra: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    args = ["connect", "vapi", "--url", URL, "--phone-number-id", PHONE_NUMBER_ID, "--api-url", fake.url]
    environ = {"VAPI_API_KEY": VAPI_KEY, "VAPI_SECRET": "", "AGENT_TYPE": "", **(env or {})}
    return CliRunner().invoke(app, [*args, "--data-dir", str(tmp_path / "data"), *extra], env=environ)


def test_vapi_refused_when_the_answer_names_an_assistant_vapi_does_not_have(tmp_path: Path) -> None:
    """The shipped example answers with a placeholder assistant id: connect cleared the number's own assistant and
    every call to it then failed, since Vapi has no such assistant."""
    config = agent_types(tmp_path, vapi_receptionist={"response.assistant_id": "as-placeholder-0000"})
    with FakeVapi(VAPI_KEY) as fake:
        before = copy.deepcopy(fake.numbers)
        result = vapi(fake, tmp_path, "--config", str(config))
        assert result.exit_code == 1, result.output
        assert "as-placeholder-0000" in result.output and "response.assistant_id" in result.output
        assert fake.writes() == [] and fake.numbers == before
        assert not (tmp_path / "data" / "connect").exists()


def test_vapi_refused_when_the_wired_assistant_is_not_the_one_the_service_names(tmp_path: Path) -> None:
    """--assistant-id got the tool and end-of-call-report, while every call ran the agent type's assistant."""
    config = agent_types(tmp_path, vapi_receptionist={"response.assistant_id": REAL_ASSISTANT})
    with FakeVapi(VAPI_KEY) as fake:
        result = vapi(fake, tmp_path, "--config", str(config), "--assistant-id", ASSISTANT_ID)
        assert result.exit_code == 1, result.output
        assert REAL_ASSISTANT in result.output and ASSISTANT_ID in result.output
        assert fake.writes() == []


def test_vapi_wires_when_the_answer_names_the_wired_assistant(tmp_path: Path) -> None:
    config = agent_types(tmp_path, vapi_receptionist={"response.assistant_id": ASSISTANT_ID})
    with FakeVapi(VAPI_KEY) as fake:
        result = vapi(fake, tmp_path, "--config", str(config), "--assistant-id", ASSISTANT_ID)
        assert result.exit_code == 0, result.output
        assert fake.numbers[PHONE_NUMBER_ID]["server"]["url"] == f"{URL}/client-data"


def test_the_wiring_checks_the_answer_assistant_itself() -> None:
    """The Pulumi provider goes through ``wire`` with the agent type's assistant as ``answer_assistant_id``."""
    with FakeVapi(VAPI_KEY) as fake, api(Secret(VAPI_KEY), fake.url) as client:
        target = VapiTarget(PHONE_NUMBER_ID, Secret("s" * 32), answer_assistant_id="as-missing-1")
        with pytest.raises(WiringError, match="as-missing-1"):
            wire(client, target, Endpoints(URL))
        assert fake.writes() == []


@pytest.mark.parametrize(
    ("extra", "env"),
    [(("--agent-type", "retell_appointments"), {}), ((), {"AGENT_TYPE": "vapi_receptionist"})],
)
def test_elevenlabs_refused_for_another_platforms_agent_type(
    tmp_path: Path, extra: tuple[str, ...], env: dict[str, str]
) -> None:
    """connect elevenlabs took any agent type (from --agent-type or $AGENT_TYPE): a Retell or Vapi service refuses
    every ElevenLabs request, and the agent was wired to it all the same."""
    with FakeElevenLabs(EL_KEY) as fake:
        args = ["connect", "elevenlabs", "--url", URL, "--agent-id", AGENT_ID, "--api-url", fake.url]
        environ = {"ELEVENLABS_API_KEY": EL_KEY, "ELEVENLABS_WORKSPACE_KEY": "", **env}
        result = CliRunner().invoke(app, [*args, "--data-dir", str(tmp_path), *extra], env=environ)
        assert result.exit_code == 1, result.output
        assert "agent type" in result.output and "--agent-type" in result.output
        assert fake.calls == []


def test_a_hook_the_agent_type_does_not_serve_is_not_wired(tmp_path: Path) -> None:
    """With ``webhooks.retrieve: false`` the tool was wired to a route that answers 404."""
    config = agent_types(
        tmp_path, vapi_receptionist={"response.assistant_id": ASSISTANT_ID, "webhooks.retrieve": False}
    )
    with FakeVapi(VAPI_KEY) as fake:
        result = vapi(fake, tmp_path, "--config", str(config))
        assert result.exit_code == 1, result.output
        assert "retrieve" in result.output and "404" in result.output
        assert fake.calls == []


def test_vapi_picks_the_configs_vapi_agent_type_by_default(tmp_path: Path) -> None:
    """Without --agent-type or $AGENT_TYPE the config's one Vapi agent type is the service's (not the default
    ElevenLabs one)."""
    config = agent_types(tmp_path, vapi_receptionist={"response.assistant_id": ASSISTANT_ID})
    with FakeVapi(VAPI_KEY) as fake:
        result = vapi(fake, tmp_path, "--config", str(config), "--assistant-id", ASSISTANT_ID)
        assert result.exit_code == 0, result.output
