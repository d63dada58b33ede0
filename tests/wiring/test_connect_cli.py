"""``agentic-memory connect``: the key from the environment (never argv), the generated HMAC key into the
secrets ``serve`` reads, the state file private, a second run sending nothing, ``--undo`` restoring."""

from __future__ import annotations

import copy
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from functions.cli import app
from tests.fakes.elevenlabs_api import AGENT_ID, FakeElevenLabs
from tests.fakes.retell_api import AGENT_ID as RETELL_AGENT_ID
from tests.fakes.retell_api import FakeRetell

API_KEY = "xi-cli-test-key-77aa"
RETELL_KEY = "key_retell_cli_31cc"
URL = "https://abc123.tunnel.example.com"


@pytest.fixture
def fake() -> Iterator[FakeElevenLabs]:
    with FakeElevenLabs(API_KEY) as server:
        yield server


def connect(fake_url: str, data_dir: Path, *extra: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    args = ["connect", "elevenlabs", "--url", URL, "--agent-id", AGENT_ID, "--api-url", fake_url]
    args += ["--data-dir", str(data_dir), *extra]
    environ = {"ELEVENLABS_API_KEY": API_KEY, "ELEVENLABS_WORKSPACE_KEY": "", "ELEVENLABS_HMAC_KEY": ""}
    return CliRunner().invoke(app, args, env={**environ, **(env or {})})


def test_connect_elevenlabs_end_to_end(fake: FakeElevenLabs, tmp_path: Path) -> None:
    original = copy.deepcopy(fake.agents[AGENT_ID])
    result = connect(fake.url, tmp_path)
    assert result.exit_code == 0, result.output
    secrets = json.loads((tmp_path / "secrets.json").read_text())
    hmac_key = fake.webhook_secrets["wh_fake0002"]
    assert secrets["ELEVENLABS_HMAC_KEY"] == hmac_key
    assert fake.secrets["secret_fake0001"]["value"] == secrets["ELEVENLABS_WORKSPACE_KEY"]
    state_file = tmp_path / "connect" / f"elevenlabs-{AGENT_ID}.json"
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    state_text = state_file.read_text()
    for secret in (API_KEY, hmac_key, secrets["ELEVENLABS_WORKSPACE_KEY"]):
        assert secret not in result.output and secret not in state_text
    hook = fake.agents[AGENT_ID]["platform_settings"]["workspace_overrides"]
    assert hook["conversation_initiation_client_data_webhook"]["url"] == f"{URL}/client-data"

    fake.calls.clear()
    again = connect(fake.url, tmp_path)
    assert again.exit_code == 0 and "nothing sent" in again.output
    assert fake.writes() == []

    undone = connect(fake.url, tmp_path, "--undo")
    assert undone.exit_code == 0, undone.output
    assert fake.agents[AGENT_ID]["conversation_config"] == original["conversation_config"]
    assert fake.tools == {} and fake.webhooks == {} and not state_file.exists()


def test_platform_error_exits_non_zero_with_its_message(fake: FakeElevenLabs, tmp_path: Path) -> None:
    result = connect(fake.url, tmp_path, env={"ELEVENLABS_API_KEY": "xi-wrong-4242"})
    assert result.exit_code == 1
    assert "Invalid API key" in result.output and "xi-wrong-4242" not in result.output
    assert not (tmp_path / "connect").exists()


def test_key_from_a_file_or_refused_when_absent(fake: FakeElevenLabs, tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(API_KEY + "\n")
    ok = connect(fake.url, tmp_path, "--api-key-file", str(key_file), env={"ELEVENLABS_API_KEY": ""})
    assert ok.exit_code == 0, ok.output
    refused = CliRunner().invoke(
        app,
        ["connect", "elevenlabs", "--url", URL, "--agent-id", AGENT_ID, "--data-dir", str(tmp_path / "other")],
        env={"ELEVENLABS_API_KEY": ""},
        input="\n",
    )
    assert refused.exit_code == 1 and "ELEVENLABS_API_KEY" in refused.output


def test_connect_retell_with_the_signing_key_from_the_environment(tmp_path: Path) -> None:
    with FakeRetell(RETELL_KEY) as fake:
        args = ["connect", "retell", "--url", URL, "--agent-id", RETELL_AGENT_ID, "--api-url", fake.url]
        result = CliRunner().invoke(app, [*args, "--data-dir", str(tmp_path)], env={"RETELL_API_KEY": RETELL_KEY})
        assert result.exit_code == 0, result.output
        assert fake.agent["webhook_url"] == f"{URL}/post-call"
        undone = CliRunner().invoke(
            app, [*args, "--data-dir", str(tmp_path), "--undo"], env={"RETELL_API_KEY": RETELL_KEY}
        )
        assert undone.exit_code == 0 and fake.agent["webhook_url"] == "https://old-hooks.example.com/retell"


def test_connect_vapi_with_the_service_secret_from_the_data_dir(tmp_path: Path) -> None:
    from tests.fakes.vapi_api import ASSISTANT_ID, PHONE_NUMBER_ID, FakeVapi, sample_number

    with FakeVapi("vapi-cli-key-19de") as fake:
        args = ["connect", "vapi", "--url", URL, "--phone-number-id", PHONE_NUMBER_ID, "--assistant-id", ASSISTANT_ID]
        args += ["--api-url", fake.url, "--data-dir", str(tmp_path)]
        env = {"VAPI_API_KEY": "vapi-cli-key-19de", "VAPI_SECRET": ""}
        result = CliRunner().invoke(app, args, env=env)
        assert result.exit_code == 0, result.output
        secret = json.loads((tmp_path / "secrets.json").read_text())["VAPI_SECRET"]  # the one serve checks
        number = fake.numbers[PHONE_NUMBER_ID]
        assert number["server"] == {"url": f"{URL}/client-data", "headers": {"X-Vapi-Secret": secret}}
        assert secret not in result.output and "vapi-cli-key-19de" not in result.output
        undone = CliRunner().invoke(app, [*args, "--undo"], env=env)
        assert undone.exit_code == 0, undone.output
        assert fake.numbers[PHONE_NUMBER_ID]["assistantId"] == sample_number()["assistantId"]
        assert "server" not in fake.numbers[PHONE_NUMBER_ID] and fake.tools == {}


@pytest.mark.parametrize(
    "url",
    [
        "https://memory.example.com/post-call?x=1",
        "https://memory.example.com/post-call",
        "https://memory.example.com?x=1",
        "https://memory.example.com/#top",
        "https://user:pw@memory.example.com",
        "http://memory.example.com",
        "ftp://memory.example.com",
        "https://memory.example.com:99999",
        "memory.example.com",
    ],
)
def test_a_url_other_than_scheme_host_port_is_refused_before_any_call(
    fake: FakeElevenLabs, tmp_path: Path, url: str
) -> None:
    args = ["connect", "elevenlabs", "--url", url, "--agent-id", AGENT_ID, "--api-url", fake.url]
    result = CliRunner().invoke(app, [*args, "--data-dir", str(tmp_path)], env={"ELEVENLABS_API_KEY": API_KEY})
    assert result.exit_code == 1, result.output
    assert result.output.startswith("error: --url:") and "host[:port]" in result.output
    assert fake.calls == [] and not (tmp_path / "connect").exists()


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("https://Memory.example.com/", "https://memory.example.com"),
        ("https://memory.example.com:8443", "https://memory.example.com:8443"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        (
            "https://abc123.execute-api.us-east-1.amazonaws.com/prod/",
            "https://abc123.execute-api.us-east-1.amazonaws.com/prod",
        ),
    ],
)
def test_a_base_url_is_accepted(url: str, base: str) -> None:
    from functions.wiring.model import base_url

    assert base_url(url) == base


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"before": "x"}', "\udcff"])
def test_a_damaged_state_file_stops_with_its_name_before_any_call(
    fake: FakeElevenLabs, tmp_path: Path, content: str
) -> None:
    state_file = tmp_path / "connect" / f"elevenlabs-{AGENT_ID}.json"
    state_file.parent.mkdir(parents=True)
    state_file.write_bytes(content.encode("utf-8", "surrogateescape"))
    for extra in ((), ("--undo",)):
        result = connect(fake.url, tmp_path, *extra)
        assert result.exit_code == 1, result.output
        assert "not a" in result.output and str(state_file) in result.output.replace("\n", "")
        assert isinstance(result.exception, SystemExit), result.exception  # fail()'s exit, not a traceback
    assert fake.calls == []


def test_a_key_file_with_more_than_the_key_is_refused_clearly(fake: FakeElevenLabs, tmp_path: Path) -> None:
    """A key file with a second line (an exported env file, a comment) gave ``LocalProtocolError``."""
    key_file = tmp_path / "key"
    key_file.write_text(f"{API_KEY}\nELEVENLABS_WORKSPACE_KEY=abc\n")
    result = connect(fake.url, tmp_path, "--api-key-file", str(key_file), env={"ELEVENLABS_API_KEY": ""})
    assert result.exit_code == 1
    assert "holds more than the key" in result.output and API_KEY not in result.output
    assert fake.calls == []


def test_an_hmac_key_file_that_cannot_be_written_is_refused_before_anything_is_created(
    fake: FakeElevenLabs, tmp_path: Path
) -> None:
    """--hmac-key-file naming a directory: a traceback after the webhook was made, its key (shown once) lost, and the
    next run said "up to date, nothing sent", so no post-call could ever be verified."""
    target = tmp_path / "keys"
    target.mkdir()
    result = connect(fake.url, tmp_path / "data", "--hmac-key-file", str(target))
    assert result.exit_code == 1 and "--hmac-key-file" in result.output
    assert isinstance(result.exception, SystemExit)
    assert fake.calls == [] and not (tmp_path / "data" / "connect").exists()


def test_a_generated_key_that_cannot_be_kept_is_said_and_the_undo_still_works(
    fake: FakeElevenLabs, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "secrets.json").mkdir()  # secrets.json cannot be written
    result = connect(fake.url, data, env={"ELEVENLABS_WORKSPACE_KEY": "workspace-key-for-this-test-0001"})
    assert result.exit_code == 1 and "ELEVENLABS_HMAC_KEY could not be written" in result.output
    assert "--undo" in result.output and fake.webhook_secrets["wh_fake0002"] not in result.output
    undone = connect(fake.url, data, "--undo", env={"ELEVENLABS_WORKSPACE_KEY": "workspace-key-for-this-test-0001"})
    assert undone.exit_code == 0, undone.output
    assert fake.webhooks == {} and fake.tools == {}
