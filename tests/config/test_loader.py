"""A wrong agent-types file fails with a message naming the file, the agent type and the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from functions.cli.config_cmd import SCHEMA_PATH, schema_text
from shared.config.loader import DEFAULT_CONFIG_PATH, load_agent_type, load_agent_types
from shared.errors import ConfigError
from shared.profile import load_profile, resolve_profile

ORIGINAL_TYPES = ("elevenlabs_customer_support", "elevenlabs_sales_agent", "generic_voice_agent")


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "agent_types.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def shipped() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEFAULT_CONFIG_PATH.read_text())
    return data


def test_shipped_file_has_the_original_three_plus_vapi_and_retell_examples() -> None:
    agent_types = load_agent_types().agent_types
    assert set(ORIGINAL_TYPES) <= set(agent_types)
    providers = {t.provider for t in agent_types.values()}
    assert {"elevenlabs", "generic", "vapi", "retell"} <= providers


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["agent_types"]["elevenlabs_sales_agent"].update(provder="x"),
            ["elevenlabs_sales_agent", "provder"],
        ),
        (lambda d: d["agent_types"]["generic_voice_agent"].pop("provider"), ["generic_voice_agent", "provider"]),
        (
            lambda d: d["agent_types"]["generic_voice_agent"].update(provider="twilio"),
            ["generic_voice_agent", "provider"],
        ),
        (
            lambda d: d["agent_types"]["elevenlabs_sales_agent"]["memory"].update(search_limit=0),
            ["elevenlabs_sales_agent", "memory.search_limit"],
        ),
        (
            lambda d: d["agent_types"]["elevenlabs_sales_agent"]["memory"]["field_types"].update(budget="money"),
            ["elevenlabs_sales_agent", "memory", "money"],
        ),
        (
            lambda d: d["agent_types"]["elevenlabs_customer_support"]["memory"]["auto_extract"]["caller_name"].update(
                patterns=["(no group)"]
            ),
            ["elevenlabs_customer_support", "auto_extract", "value"],
        ),
        (  # the stack's caller-reference key never goes to a platform as an endpoint's credential
            lambda d: d["agent_types"]["generic_voice_agent"].update(
                auth={"client_data": {"scheme": "header", "header": "x-api-key", "secret": "CALLER_REF_KEY"}}
            ),
            ["generic_voice_agent", "secret"],
        ),
    ],
)
def test_mistakes_name_file_agent_type_and_field(tmp_path: Path, mutate: Any, expected: list[str]) -> None:
    data = shipped()
    mutate(data)
    path = write(tmp_path, data)
    with pytest.raises(ConfigError) as caught:
        load_agent_types(path)
    message = str(caught.value)
    assert str(path) in message
    for fragment in expected:
        assert fragment in message


def test_invalid_json_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, '{"agent_types": {\n  "x": }')
    with pytest.raises(ConfigError, match=r"agent_types.json: not valid JSON \(line 2"):
        load_agent_types(path)


def test_unknown_agent_type_is_an_error_not_a_fallback() -> None:
    with pytest.raises(ConfigError, match="unknown agent type 'nope'"):
        load_agent_type("nope")


def test_missing_webhooks_block_gets_provider_defaults(tmp_path: Path) -> None:
    data = {"agent_types": {"minimal": {"provider": "elevenlabs"}}}
    profile = resolve_profile("minimal", load_agent_types(write(tmp_path, data)).agent_types["minimal"])
    assert profile.webhooks.ingest_events == ["post_call_transcription"]
    assert profile.auth["client_data"].header == "X-Workspace-Key"
    assert profile.auth["post_call"].scheme == "elevenlabs_hmac"
    generic = resolve_profile(
        "g", load_agent_types(write(tmp_path, {"agent_types": {"g": {"provider": "generic"}}})).agent_types["g"]
    )
    assert generic.auth["retrieve"].secret == "GENERIC_API_KEY"


def test_every_shipped_agent_type_resolves() -> None:
    for name in load_agent_types().agent_types:
        assert load_profile(name).name == name


def test_committed_schema_matches_the_models() -> None:
    assert SCHEMA_PATH.read_text() == schema_text(), "run `agentic-memory config schema` and commit the result"


def test_vapi_agent_type_needs_its_assistant(tmp_path: Path) -> None:
    data = {"agent_types": {"v": {"provider": "vapi"}}}
    agent = load_agent_types(write(tmp_path, data)).agent_types["v"]
    with pytest.raises(ConfigError, match=r"agent type 'v': response.assistant_id"):
        resolve_profile("v", agent)


@pytest.mark.parametrize("value", [True, "30", 30.0])
def test_a_retention_is_a_whole_number_of_days_not_a_boolean_or_a_string(tmp_path: Path, value: Any) -> None:
    """JSON ``true`` read as 1 day would expire a caller's memories the next day; ``"30"`` hides a typo'd type."""
    data = shipped()
    data["agent_types"]["generic_voice_agent"]["memory"]["retention_days"] = {"default": value}
    with pytest.raises(ConfigError, match="retention_days"):
        load_agent_types(write(tmp_path, data))
    data["agent_types"]["generic_voice_agent"]["memory"]["retention_days"] = {"default": 30}
    assert load_agent_types(write(tmp_path, data)).agent_types["generic_voice_agent"].memory.retention_for("x") == 30


def test_config_validate_names_the_file_in_a_platform_s_own_check(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from functions.cli import app

    path = write(tmp_path, {"version": 1, "agent_types": {"line": {"provider": "vapi"}}})  # no assistant_id
    result = CliRunner().invoke(app, ["config", "validate", str(path)])
    assert result.exit_code == 1
    assert f"{path}: agent type 'line': response.assistant_id" in " ".join(result.output.split())
