"""``--agent-types`` may only name the file the stacks deploy: the program reads, and the bundle carries, the
project's ``config/agent_types.json``. Another file was checked by ``tenants validate``/``up`` and then not deployed:
an agent type only it defines failed inside Pulumi, and one it defines differently ran with the project's settings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from functions.cli import app
from shared.config.loader import DEFAULT_CONFIG_PATH
from tests.tenants.conftest import SECRET_ENV, Plan
from tests.tenants.fake_pulumi import FakePulumiCommand


def run(plan: Plan, *args: str, command: FakePulumiCommand | None = None) -> object:
    options = ["--file", str(plan.path), "--work-dir", str(plan.work_dir), "--log-dir", str(plan.work_dir / "logs")]
    if args[0] == "validate":
        options = options[:4]
    obj = {"pulumi_command": command, "skip_prebuild": True} if command else {"skip_prebuild": True}
    return CliRunner().invoke(app, ["tenants", *args, *options], obj=obj, env=SECRET_ENV)


@pytest.mark.parametrize("operation", ["validate", "preview", "up"])
def test_a_file_the_stacks_do_not_deploy_is_refused_before_anything_runs(
    plan: Plan, tmp_path: Path, operation: str
) -> None:
    elsewhere = tmp_path / "elsewhere" / "agent_types.json"
    elsewhere.parent.mkdir()
    shutil.copy(DEFAULT_CONFIG_PATH, elsewhere)
    command = FakePulumiCommand()
    result = run(plan, operation, "--agent-types", str(elsewhere), command=command)
    assert result.exit_code == 1  # type: ignore[attr-defined]
    output = " ".join(result.output.split())  # type: ignore[attr-defined]
    assert f"--agent-types {elsewhere}: the stacks deploy {plan.work_dir / 'config' / 'agent_types.json'}" in output
    assert command.calls == []


def test_the_project_s_own_file_passes(plan: Plan) -> None:
    deployed = plan.work_dir / "config" / "agent_types.json"
    deployed.parent.mkdir(exist_ok=True)
    shutil.copy(DEFAULT_CONFIG_PATH, deployed)
    result = run(plan, "validate", "--agent-types", str(deployed))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
