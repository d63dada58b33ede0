"""``agentic-memory config migrate`` and ``scripts/migrate_to_generic.py``: the original system's environment
becomes a valid agent type, and the original's three endpoints keep their paths and headers."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from functions.cli import app
from shared.config.loader import DEFAULT_CONFIG_PATH, load_agent_types
from shared.config.migrate import migrate_environment, read_env_file
from shared.errors import ConfigError
from shared.profile import resolve_profile
from tests.analytics.seeded import Clock, clocked_runtime
from tests.conftest import CALLER, TEST_SECRETS, elevenlabs_post_call, sign_elevenlabs

ROOT = Path(__file__).resolve().parents[2]
ORIGINAL_ENV = {  # the original's Lambda environment (§1.1), with invented values
    "MEM0_API_KEY": "m0-original-key-5f1e",
    "MEM0_ORG_ID": "org-original-77",
    "MEM0_PROJECT_ID": "proj-original-88",
    "MEM0_DIR": "/tmp/.mem0",
    "ELEVENLABS_WORKSPACE_KEY": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"],
    "ELEVENLABS_HMAC_KEY": TEST_SECRETS["ELEVENLABS_HMAC_KEY"],
    "S3_BUCKET_NAME": "elevenlabs-agentic-memory-000000000000-us-east-1",
    "MEM0_SEARCH_LIMIT": "4",
    "MEM0_TIMEOUT": "5",
}
SECRET_VALUES = [ORIGINAL_ENV[k] for k in ("MEM0_API_KEY", "ELEVENLABS_WORKSPACE_KEY", "ELEVENLABS_HMAC_KEY")]


def write_env(path: Path, env: dict[str, str]) -> Path:
    path.write_text("".join(f"{key}={value}\n" for key, value in env.items()))
    return path


def migrate(*args: str) -> Any:
    return CliRunner().invoke(app, ["config", "migrate", *args])


def test_the_original_environment_becomes_a_valid_agent_type(tmp_path: Path) -> None:
    result = migrate("--env-file", str(write_env(tmp_path / "old.env", ORIGINAL_ENV)))
    assert result.exit_code == 0, result.output
    for value in SECRET_VALUES:
        assert value not in result.output
    document = json.loads(result.stdout)
    path = tmp_path / "agent_types.json"
    path.write_text(json.dumps(document))
    entry = load_agent_types(path).agent_types["elevenlabs_customer_support"]
    profile = resolve_profile("elevenlabs_customer_support", entry)
    assert entry.provider == "elevenlabs" and profile.response_format == "elevenlabs_v1"
    assert entry.memory.search_limit == 4
    assert all(profile.enabled(e) for e in ("client_data", "retrieve", "post_call"))
    assert profile.auth["client_data"].header == "X-Workspace-Key"
    assert profile.auth["post_call"].header == "ElevenLabs-Signature"
    assert entry.response.prompt_override is None  # the agent's own prompt is no longer replaced
    assert "MEMORY_BACKEND=mem0" in result.stderr
    for obsolete in ("MEM0_ORG_ID", "MEM0_PROJECT_ID", "MEM0_DIR", "S3_BUCKET_NAME", "MEM0_TIMEOUT"):
        assert f"note: {obsolete}" in result.stderr
    assert "ELEVENLABS_WORKSPACE_KEY, ELEVENLABS_HMAC_KEY, MEM0_API_KEY, ADMIN_API_KEY" in result.stderr


def test_the_migrated_config_serves_the_original_paths_and_headers(tmp_path: Path) -> None:
    migration = migrate_environment(ORIGINAL_ENV)
    path = tmp_path / "agent_types.json"
    path.write_text(json.dumps(migration.document()))
    local = clocked_runtime(tmp_path / "data", clock=Clock(datetime.now(UTC)), config_path=path)
    workspace = {"X-Workspace-Key": ORIGINAL_ENV["ELEVENLABS_WORKSPACE_KEY"]}
    body = json.dumps(elevenlabs_post_call()).encode()
    posted = local.call("POST", "/post-call", body, {"ElevenLabs-Signature": sign_elevenlabs(body)})
    assert posted.status == 200
    local.drain()
    initiation = {"caller_id": CALLER, "agent_id": "agent_1", "called_number": "+15555550100", "call_sid": "CA1"}
    pre = local.call("POST", "/client-data", initiation, workspace)
    variables = json.loads(pre.body)["dynamic_variables"]
    assert pre.status == 200 and variables["returning_caller"] == "yes" and variables["caller_name"] == "Dana Whitfield"
    for name in ("caller_id", "memory_count", "memory_summary", "returning_caller", "caller_name"):
        assert isinstance(variables[name], str)
    tool = local.call("POST", "/retrieve", {"query": "dog surgery", "user_id": CALLER}, workspace)
    assert tool.status == 200 and any("Biscuit" in m["text"] for m in json.loads(tool.body)["memories"])
    assert len(json.loads(tool.body)["memories"]) <= 4
    # and, unlike the original, nothing without its credential
    assert local.call("POST", "/client-data", initiation).status == 401
    assert local.call("POST", "/retrieve", {"query": "dog", "user_id": CALLER}).status == 401
    assert local.call("POST", "/post-call", body, {"ElevenLabs-Signature": "t=1,v0=00"}).status == 401


def test_template_parameter_names_and_env_file_syntax(tmp_path: Path) -> None:
    env_file = tmp_path / "overrides.env"
    env_file.write_text(
        "# sam deploy --parameter-overrides, as a file\n"
        "export ElevenLabsWorkspaceKey='ws-value-1'\n"
        'ElevenLabsHmacKey="hmac-value-2"\n'
        "\n"
        "MEM0_SEARCH_LIMIT = 7\n"
    )
    env = read_env_file(env_file)
    migration = migrate_environment(env)
    assert migration.agent_type.memory.search_limit == 7
    assert migration.secrets == ["ELEVENLABS_WORKSPACE_KEY", "ELEVENLABS_HMAC_KEY", "ADMIN_API_KEY"]
    assert migration.settings == {}


def test_a_missing_key_disables_its_endpoints() -> None:
    def enabled(env: dict[str, str]) -> tuple[bool, bool, bool]:
        webhooks = migrate_environment(env).agent_type.webhooks
        assert webhooks is not None
        return webhooks.client_data, webhooks.retrieve, webhooks.post_call

    assert enabled({"ELEVENLABS_HMAC_KEY": "x"}) == (False, False, True)
    assert enabled({"ELEVENLABS_WORKSPACE_KEY": "x", "ELEVENLABS_HMAC_KEY": " "}) == (True, True, False)
    assert migrate_environment({"ELEVENLABS_HMAC_KEY": "x"}).agent_type.memory.search_limit == 3  # the default


@pytest.mark.parametrize("limit", ["abc", "0", "51", "3.5"])
def test_an_invalid_search_limit_is_a_clear_error(limit: str) -> None:
    with pytest.raises(ConfigError, match="MEM0_SEARCH_LIMIT must be") as caught:
        migrate_environment({"ELEVENLABS_HMAC_KEY": "x", "MEM0_SEARCH_LIMIT": limit})
    assert str(caught.value) in {  # never the value itself
        "MEM0_SEARCH_LIMIT must be a whole number (the original's default is 3)",
        "MEM0_SEARCH_LIMIT must be between 1 and 50",
    }


def test_an_environment_without_elevenlabs_keys_is_refused(tmp_path: Path) -> None:
    result = migrate("--env-file", str(write_env(tmp_path / "e.env", {"MEM0_API_KEY": "k", "MEM0_SEARCH_LIMIT": "3"})))
    assert result.exit_code == 1 and "not the original system's environment" in result.output


def test_a_bad_env_line_names_the_line_never_its_content(tmp_path: Path) -> None:
    env_file = tmp_path / "bad.env"
    env_file.write_text("ELEVENLABS_HMAC_KEY=x\nthis line leaks-secret-9\n")
    with pytest.raises(ConfigError, match="line 2 is not a KEY=VALUE") as caught:
        read_env_file(env_file)
    assert "leaks-secret-9" not in str(caught.value)


def test_merging_into_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "agent_types.json"
    target.write_text(DEFAULT_CONFIG_PATH.read_text())
    original = load_agent_types(target).agent_types
    env_file = str(write_env(tmp_path / "old.env", ORIGINAL_ENV))

    same_name = migrate("--env-file", env_file, "--out", str(target))
    assert same_name.exit_code == 1 and "already exists" in same_name.output
    assert load_agent_types(target).agent_types == original  # untouched

    added = migrate("--env-file", env_file, "--out", str(target), "--name", "elevenlabs_migrated")
    assert added.exit_code == 0, added.output
    merged = load_agent_types(target).agent_types
    assert {k: v for k, v in merged.items() if k != "elevenlabs_migrated"} == original
    assert merged["elevenlabs_migrated"].memory.search_limit == 4
    assert json.loads(target.read_text())["$schema"] == "./agent_types.schema.json"

    replaced = migrate("--env-file", env_file, "--out", str(target), "--replace")
    assert replaced.exit_code == 0, replaced.output
    assert load_agent_types(target).agent_types["elevenlabs_customer_support"].memory.search_limit == 4
    for value in SECRET_VALUES:
        assert value not in target.read_text()


def test_the_script_the_original_design_names(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", **ORIGINAL_ENV}
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "migrate_to_generic.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    path = tmp_path / "agent_types.json"
    path.write_text(json.dumps(document))
    assert load_agent_types(path).agent_types["elevenlabs_customer_support"].memory.search_limit == 4
    for value in SECRET_VALUES:
        assert value not in done.stdout + done.stderr
