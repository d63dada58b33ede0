"""``agentic-memory tenants ...`` end to end through typer, with the fake CLI injected through the context object."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from functions.cli import app
from tests.tenants.conftest import ALL_SECRET_VALUES, SECRET_ENV, TENANT_IDS, Plan
from tests.tenants.fake_pulumi import FakePulumiCommand


def invoke(plan: Plan, command: FakePulumiCommand | None, *args: str, env: dict[str, str] | None = None) -> object:
    options = ["--file", str(plan.path), "--work-dir", str(plan.work_dir), "--log-dir", str(plan.work_dir / "logs")]
    obj = {"pulumi_command": command, "skip_prebuild": True} if command else {"skip_prebuild": True}
    return CliRunner().invoke(app, ["tenants", *args, *options], obj=obj, env={**SECRET_ENV, **(env or {})})


def test_up_then_outputs_writes_the_platform_settings(plan: Plan, tmp_path: Path) -> None:
    command = FakePulumiCommand(op_seconds=0)
    result = invoke(plan, command, "up", "--parallel", "3")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    output: str = result.output  # type: ignore[attr-defined]
    assert "created 3" in output and "Paste into each platform" in output
    assert not any(value in output for value in ALL_SECRET_VALUES)

    out = tmp_path / "settings.json"
    result = invoke(plan, command, "outputs", "--json", str(out))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    data = json.loads(out.read_text())
    assert [tenant["id"] for tenant in data["tenants"]] == list(TENANT_IDS)
    acme = data["tenants"][0]
    assert acme["paste"][0]["url"] == "https://acme-support.execute-api.us-east-1.amazonaws.com/client-data"
    assert acme["paste"][0]["header"] == "X-Workspace-Key"
    assert acme["paste"][0]["auth"].endswith("(env:ACME_WORKSPACE_KEY)")
    assert not any(value in out.read_text() for value in ALL_SECRET_VALUES)


def test_only_one_tenant(plan: Plan) -> None:
    command = FakePulumiCommand(op_seconds=0)
    result = invoke(plan, command, "up", "--only", "globex-sales")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert {call.stack for call in command.calls} == {"globex-sales"}


def test_a_failed_tenant_makes_the_exit_non_zero_and_names_its_log(plan: Plan) -> None:
    command = FakePulumiCommand(op_seconds=0)
    command.fail["initech-desk"] = "error: googleapi: Error 403: Cloud Functions API has not been used"
    result = invoke(plan, command, "up")
    assert result.exit_code == 1
    output: str = result.output  # type: ignore[attr-defined]
    assert "failed 1" in output and "created 2" in output
    assert "Error 403" in output and "initech-desk.log" in output


def test_nothing_runs_when_a_secret_reference_does_not_resolve(plan: Plan) -> None:
    command = FakePulumiCommand(op_seconds=0)
    result = invoke(plan, command, "up", env={"ACME_HMAC_KEY": ""})
    assert result.exit_code == 1
    assert "tenant 'acme-support': secret ELEVENLABS_HMAC_KEY: environment variable ACME_HMAC_KEY" in result.output  # type: ignore[attr-defined]
    assert command.calls == []


def test_nothing_runs_when_the_file_is_invalid(plan: Plan) -> None:
    plan.path.write_text(plan.path.read_text().replace("generic_voice_agent", "no_such_type"))
    command = FakePulumiCommand(op_seconds=0)
    result = invoke(plan, command, "preview")
    assert result.exit_code == 1 and "unknown agent type 'no_such_type'" in result.output  # type: ignore[attr-defined]
    assert command.calls == []


def test_destroy_asks_first(plan: Plan) -> None:
    command = FakePulumiCommand(op_seconds=0)
    invoke(plan, command, "up")
    declined = CliRunner().invoke(
        app,
        ["tenants", "destroy", "--file", str(plan.path), "--work-dir", str(plan.work_dir)],
        obj={"pulumi_command": command},
        input="n\n",
    )
    assert declined.exit_code == 1 and not any(call.args[0] == "destroy" for call in command.calls)
    result = invoke(plan, command, "destroy", "--yes")
    assert result.exit_code == 0 and "destroyed 3" in result.output  # type: ignore[attr-defined]


def test_missing_pulumi_cli_is_a_clear_message_not_a_traceback(plan: Plan, tmp_path: Path) -> None:
    result = invoke(plan, None, "up", env={"PATH": str(tmp_path)})
    assert result.exit_code == 1
    output: str = result.output  # type: ignore[attr-defined]
    assert "Pulumi CLI is required" in output and "get.pulumi.com" in output
    assert "Traceback" not in output
    assert isinstance(result.exception, SystemExit)  # type: ignore[attr-defined]  (a clean exit, not a crash)


def test_validate_without_pulumi(plan: Plan) -> None:
    result = CliRunner().invoke(
        app, ["tenants", "validate", "--file", str(plan.path), "--work-dir", str(plan.work_dir)], env=SECRET_ENV
    )
    assert result.exit_code == 0, result.output
    assert "3 tenant(s) valid" in result.output


def test_help_does_not_import_pulumi() -> None:
    code = (
        "import sys; from functions.cli import app\n"
        "try:\n    app(['tenants', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'infra', 'yaml')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2]
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert "preview" in done.stdout and "outputs" in done.stdout


@pytest.mark.parametrize("command_name", ["preview", "up", "destroy", "outputs"])
def test_every_command_has_the_shared_options(command_name: str) -> None:
    result = CliRunner().invoke(app, ["tenants", command_name, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in ("--file", "--only", "--parallel"):
        assert option in result.output


def test_passphrase_provider_needs_a_passphrase_before_anything_runs(plan: Plan) -> None:
    plan.path.write_text("secrets_provider: passphrase\n" + plan.path.read_text())
    command = FakePulumiCommand(op_seconds=0)
    result = invoke(plan, command, "up", env={"PULUMI_CONFIG_PASSPHRASE": "", "PULUMI_CONFIG_PASSPHRASE_FILE": ""})
    assert result.exit_code == 1 and "PULUMI_CONFIG_PASSPHRASE_FILE" in result.output  # type: ignore[attr-defined]
    assert command.calls == []


def test_preview_of_the_example_file_reports_every_problem_together(tmp_path: Path) -> None:
    """The example's secret files and variables do not exist here, nor does the CLI: all of it is said at once."""
    repo = Path(__file__).resolve().parents[2]
    result = CliRunner().invoke(
        app,
        ["tenants", "preview", "--file", str(repo / "tenants.example.yaml"), "--work-dir", str(repo)],
        obj={"skip_prebuild": True},
        env={"PATH": str(tmp_path), "PULUMI_CONFIG_PASSPHRASE": "", "PULUMI_CONFIG_PASSPHRASE_FILE": ""},
    )
    assert result.exit_code == 1
    output = result.output
    assert "globex-admin-api-key" in output  # the unreadable secret file
    assert "environment variable ACME_ELEVENLABS_API_KEY is not set" in output
    assert "PULUMI_CONFIG_PASSPHRASE" in output
    assert "Pulumi CLI is required" in output
    assert "Traceback" not in output


@pytest.mark.parametrize("command", ["validate", "preview", "outputs"])
def test_without_the_infra_extra_the_commands_say_what_to_install(
    plan: Plan, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """``make serve`` installs the service only; `tenants validate` ended in a ModuleNotFoundError traceback."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pulumi" else real(name, *a))
    result = invoke(plan, FakePulumiCommand(op_seconds=0), command)
    output: str = result.output  # type: ignore[attr-defined]
    assert result.exit_code == 1, output  # type: ignore[attr-defined]
    assert "need the infra extra" in output and "pip install -e '.[infra]'" in output
    assert "Traceback" not in output


EVERY_KIND_OF_MISTAKE = """\
version: 1
tenants:
  - id: acme-support
    agent_type: elevenlabs_customer_support
    cloud: aws
    region: us-east-1
    secrets:
      ELEVENLABS_WORKSPACE_KEY: env:ACME_UNSET_WORKSPACE_KEY
      ELEVENLABS_HMAC_KEY: env:ACME_HMAC_KEY
      ADMIN_API_KEY: env:ACME_ADMIN_KEY
  - id: ACME-support
    agent_type: no_such_type
    cloud: azure
    region: us-east-1
  - id: beta
    agent_type: generic_voice_agent
    cloud: aws
    region: us-east-1
  - id: gamma
    agent_type: vapi_receptionist
    cloud: aws
    region: us-east-1
    config: {warmInstancez: 1}
"""


def validate(plan: Plan, env: dict[str, str] | None = None) -> tuple[int, str]:
    options = ["--file", str(plan.path), "--work-dir", str(plan.work_dir)]
    result = CliRunner().invoke(app, ["tenants", "validate", *options], env={**SECRET_ENV, **(env or {})})
    return result.exit_code, result.output


def test_validate_lists_every_kind_of_problem_in_one_run(plan: Plan) -> None:
    """Fields, duplicate ids, unknown agent types, missing secrets and unresolved references took one run each."""
    plan.path.write_text(EVERY_KIND_OF_MISTAKE)
    code, output = validate(plan)
    assert code == 1, output
    assert output.startswith("error: ") and "Traceback" not in output
    assert "(id 'ACME-support'): field cloud" in output  # a field
    assert "(id 'gamma'): field config.warmInstancez" in output  # another tenant's field
    assert "duplicate tenant id 'ACME-support'" in output
    assert "tenant 'ACME-support': unknown agent type 'no_such_type'" in output
    assert "tenant 'beta': stack 'beta': agent type 'generic_voice_agent' needs the secret(s)" in output
    assert "tenant 'acme-support': secret ELEVENLABS_WORKSPACE_KEY: environment variable ACME_UNSET" in output
    assert not any(value in output for value in ALL_SECRET_VALUES)


def test_validate_of_a_valid_file_with_a_bad_reference_names_only_that(plan: Plan) -> None:
    code, output = validate(plan, {"INITECH_ADMIN_KEY": ""})
    assert code == 1 and output.count("\n") == 1, output
    assert "tenant 'initech-desk': secret ADMIN_API_KEY: environment variable INITECH_ADMIN_KEY" in output


def test_validate_names_an_admin_key_the_functions_would_keep_shut(plan: Plan) -> None:
    """Equal to another secret of the tenant: the deployed admin API would stay shut (said, not shown)."""
    same = SECRET_ENV["ACME_WORKSPACE_KEY"]
    result = CliRunner().invoke(
        app,
        ["tenants", "validate", "--file", str(plan.path), "--work-dir", str(plan.work_dir)],
        env={**SECRET_ENV, "ACME_ADMIN_KEY": same},
    )
    assert result.exit_code == 1
    assert "tenant 'acme-support': ADMIN_API_KEY must differ from ELEVENLABS_WORKSPACE_KEY" in result.output
    assert same not in result.output


def test_validate_names_a_key_two_tenants_share(plan: Plan) -> None:
    """One tenant's admin key would open another's callers: each tenant needs its own (said, never shown)."""
    result = CliRunner().invoke(
        app,
        ["tenants", "validate", "--file", str(plan.path), "--work-dir", str(plan.work_dir)],
        env={**SECRET_ENV, "INITECH_ADMIN_KEY": SECRET_ENV["ACME_ADMIN_KEY"]},
    )
    assert result.exit_code == 1, result.output
    assert "tenants 'acme-support', 'initech-desk' share one ADMIN_API_KEY: each needs its own" in result.output
    assert not any(value in result.output for value in ALL_SECRET_VALUES)
