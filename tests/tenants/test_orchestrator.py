"""Must show 1: the exact Pulumi commands the Automation API issues for a three-tenant file, through a fake CLI.

One stack each, the right config, secrets set as secrets with the value on stdin (never in an argv or an
environment), at most N operations in flight, a failing tenant does not stop the others and makes the run
non-zero; ConcurrentUpdateError is retried with back-off; Ctrl-C stops starting tenants.
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest
import yaml
from pulumi.automation import PulumiCommand

from infra.tenants.orchestrator import Orchestrator
from infra.tenants.results import Operation, RunReport, Status
from infra.tenants.retry import RetryPolicy
from tests.tenants.conftest import ALL_SECRET_VALUES, TENANT_IDS, Plan, make_plan
from tests.tenants.fake_pulumi import CONFLICT, FakePulumiCommand

EXPECTED_PLAIN = {
    "acme-support": [
        "agentic-memory:tenant=acme-support",
        "agentic-memory:cloud=aws",
        "agentic-memory:agentType=elevenlabs_customer_support",
        "agentic-memory:logRetentionDays=14",
        "agentic-memory:warmInstances=1",
        "aws:region=us-east-1",
    ],
    "globex-sales": [
        "agentic-memory:tenant=globex-sales",
        "agentic-memory:cloud=aws",
        "agentic-memory:agentType=elevenlabs_sales_agent",
        "agentic-memory:httpEndpoint=url",
        "agentic-memory:logRetentionDays=14",
        "aws:region=eu-west-1",
    ],
    "initech-desk": [
        "agentic-memory:tenant=initech-desk",
        "agentic-memory:cloud=gcp",
        "agentic-memory:agentType=generic_voice_agent",
        "agentic-memory:logRetentionDays=14",
        "agentic-memory:memoryBackend=firestore",
        "gcp:project=am-test-project",
        "gcp:region=europe-west1",
    ],
}
# config key -> the value that must arrive on stdin (and nowhere else)
EXPECTED_SECRETS = {
    "acme-support": {
        "agentic-memory:adminApiKey": "tenantleak-acme-admin-5e6f",
        "agentic-memory:elevenlabsHmacKey": "tenantleak-acme-hmac-3c4d",
        "agentic-memory:elevenlabsWorkspaceKey": "tenantleak-acme-workspace-1a2b",
        "agentic-memory:mem0ApiKey": "tenantleak-acme-mem0-7a8b",
    },
    "globex-sales": {
        "agentic-memory:adminApiKey": "tenantleak-globex-admin-file-9a0b",
        "agentic-memory:elevenlabsHmacKey": "tenantleak-globex-hmac-1e2f",
        "agentic-memory:elevenlabsWorkspaceKey": "tenantleak-globex-workspace-9c0d",
        "agentic-memory:mem0ApiKey": "tenantleak-globex-mem0-3a4b",
    },
    "initech-desk": {
        "agentic-memory:adminApiKey": "tenantleak-initech-admin-7e8f",
        "agentic-memory:genericApiKey": "tenantleak-initech-generic-5c6d",
    },
}


def orchestrator(plan: Plan, command: FakePulumiCommand, **options: object) -> Orchestrator:
    options.setdefault("parallel", 2)
    options.setdefault("log_dir", plan.work_dir.parent / "logs")
    return Orchestrator(command, plan.work_dir, **options)  # type: ignore[arg-type]


def statuses(report: RunReport) -> dict[str, Status]:
    return {result.tenant_id: result.status for result in report.results}


def test_up_issues_exactly_these_commands_per_tenant(plan: Plan) -> None:
    command = FakePulumiCommand()
    report = orchestrator(plan, command).run(Operation.UP, plan.stacks, plan.secrets)

    assert statuses(report) == dict.fromkeys(TENANT_IDS, Status.CREATED)
    assert report.exit_code == 0
    assert sorted(command.stacks) == sorted(TENANT_IDS)  # one stack each, named by the tenant id
    for tenant_id in TENANT_IDS:
        calls = command.calls_for(tenant_id)
        plain = [arg for pair in zip(["--plaintext"] * 9, EXPECTED_PLAIN[tenant_id], strict=False) for arg in pair]
        secret_sets = [
            ["config", "set", key, "--secret", "--stack", tenant_id] for key in sorted(EXPECTED_SECRETS[tenant_id])
        ]
        assert [call.args for call in calls] == [
            ["stack", "select", "--stack", tenant_id],
            ["stack", "init", tenant_id],
            ["config", "set-all", "--stack", tenant_id, *plain],
            *secret_sets,
            ["up", "--yes", "--skip-preview", "--color", "never", "--suppress-progress", "--exec-kind", "auto.local",
             "--stack", tenant_id],
            ["stack", "output", "--json", "--stack", tenant_id],
            ["stack", "output", "--json", "--show-secrets", "--stack", tenant_id],
            ["stack", "history", "--json", "--page-size", "1", "--page", "1", "--stack", tenant_id],
        ]  # fmt: skip
        # every command runs in the tenant's own work directory, through the CLI in non-interactive mode
        assert {call.cwd for call in calls} == {str(plan.work_dir.resolve() / "tenants" / tenant_id)}
        assert all(call.argv[:2] == ["pulumi", "--non-interactive"] for call in calls)
        # the secret values went in on stdin, each to its key, and only there
        stdin = {call.args[2]: call.stdin for call in calls if call.stdin is not None}
        assert stdin == EXPECTED_SECRETS[tenant_id]


def test_the_stack_config_holds_plain_values_and_encrypted_secrets(plan: Plan) -> None:
    command = FakePulumiCommand()
    orchestrator(plan, command).run(Operation.UP, plan.stacks, plan.secrets)
    for tenant_id in TENANT_IDS:
        written = yaml.safe_load((plan.work_dir / "tenants" / tenant_id / f"Pulumi.{tenant_id}.yaml").read_text())[
            "config"
        ]
        for pair in EXPECTED_PLAIN[tenant_id]:
            key, _, value = pair.partition("=")
            assert written[key] == value
        for key in EXPECTED_SECRETS[tenant_id]:
            assert set(written[key]) == {"secure"}, f"{tenant_id}: {key} is not stored as a secret"
        assert set(written) == {pair.partition("=")[0] for pair in EXPECTED_PLAIN[tenant_id]} | set(
            EXPECTED_SECRETS[tenant_id]
        )
        text = (plan.work_dir / "tenants" / tenant_id / f"Pulumi.{tenant_id}.yaml").read_text()
        assert not any(value in text for value in ALL_SECRET_VALUES)


@pytest.mark.parametrize("operation", list(Operation))
def test_no_secret_value_in_any_argv_or_environment(plan: Plan, operation: Operation) -> None:
    command = FakePulumiCommand()
    runner = orchestrator(plan, command)
    runner.run(Operation.UP, plan.stacks, plan.secrets)
    runner.run(operation, plan.stacks, plan.secrets)
    assert command.calls
    for call in command.calls:
        for value in ALL_SECRET_VALUES:
            assert not any(value in arg for arg in call.argv), call.argv
            assert not any(value in env for env in call.env.values()), call.argv
        if call.stdin is not None:  # only `config set <key> --secret` ever reads stdin
            assert call.args[:2] == ["config", "set"] and "--secret" in call.args
    assert not any("--secret" in call.args and call.args[:2] == ["config", "set-all"] for call in command.calls)


@pytest.mark.parametrize("parallel", [1, 2, 3])
def test_at_most_parallel_operations_in_flight(plan: Plan, parallel: int) -> None:
    command = FakePulumiCommand(op_seconds=0.2)
    report = orchestrator(plan, command, parallel=parallel).run(Operation.UP, plan.stacks, plan.secrets)
    assert report.exit_code == 0
    assert command.max_in_flight == parallel  # never more, and the pool does use all N


def test_a_failing_tenant_does_not_stop_the_others(plan: Plan) -> None:
    command = FakePulumiCommand()
    command.fail["globex-sales"] = "error: creating Lambda Function (am-globex-sales-http): AccessDeniedException"
    report = orchestrator(plan, command, parallel=1).run(Operation.UP, plan.stacks, plan.secrets)

    assert statuses(report) == {
        "acme-support": Status.CREATED,
        "globex-sales": Status.FAILED,
        "initech-desk": Status.CREATED,
    }
    assert report.exit_code == 1
    failed = report.failed[0]
    assert "AccessDeniedException" in (failed.error or "")
    # the failure's log is kept, with what the CLI printed; the successes' logs are not
    assert failed.log_path is not None and failed.log_path.parent == report.log_dir
    log = failed.log_path.read_text()
    assert "Updating (globex-sales)" in log and "AccessDeniedException" in log
    assert sorted(path.name for path in report.log_dir.iterdir()) == ["globex-sales.log"]
    assert not any(value in log for value in ALL_SECRET_VALUES)
    # the tenant after the failure still ran completely
    assert [call.args[0] for call in command.calls_for("initech-desk") if call.args[0] == "up"] == ["up"]


def test_concurrent_update_error_is_retried_with_backoff(plan: Plan) -> None:
    command = FakePulumiCommand()
    command.conflicts["acme-support"] = 2
    waits: list[float] = []
    runner = orchestrator(
        plan, command, retry=RetryPolicy(attempts=4, base_delay=3, max_delay=5), wait_fn=lambda s: bool(waits.append(s))
    )
    report = runner.run(Operation.UP, plan.stacks, plan.secrets)
    acme = report.results[0]
    assert acme.status is Status.CREATED and acme.attempts == 3
    assert waits == [3.0, 5.0]  # doubled, then capped
    ups = [call for call in command.calls_for("acme-support") if call.args[0] == "up"]
    assert len(ups) == 3


def test_concurrent_update_error_gives_up_after_the_last_attempt(plan: Plan) -> None:
    command = FakePulumiCommand()
    command.conflicts["initech-desk"] = 99
    runner = orchestrator(plan, command, retry=RetryPolicy(attempts=3, base_delay=1), wait_fn=lambda s: False)
    report = runner.run(Operation.UP, plan.stacks, plan.secrets)
    assert statuses(report)["initech-desk"] is Status.FAILED
    assert report.results[2].attempts == 3
    assert "Another update is currently in progress" in (report.results[2].error or "")
    assert CONFLICT.removeprefix("error: ") in report.results[2].log_path.read_text()  # type: ignore[union-attr]
    assert report.exit_code == 1


def test_stop_event_stops_starting_tenants_and_lets_running_ones_finish(plan: Plan) -> None:
    command = FakePulumiCommand(op_seconds=0.1)
    stop = threading.Event()
    command.on_operation_start = lambda stack: stop.set()  # "Ctrl-C" while the first stack is updating
    report = orchestrator(plan, command, parallel=1).run(Operation.UP, plan.stacks, plan.secrets, stop=stop)
    assert statuses(report) == {
        "acme-support": Status.CREATED,
        "globex-sales": Status.CANCELLED,
        "initech-desk": Status.CANCELLED,
    }
    assert report.exit_code == 130
    assert command.calls_for("globex-sales") == [] and command.calls_for("initech-desk") == []


def test_ctrl_c_stops_starting_tenants_and_waits_for_running_ones(plan: Plan) -> None:
    command = FakePulumiCommand(op_seconds=0.3)
    command.on_operation_start = lambda stack: signal.raise_signal(signal.SIGINT) if stack == "acme-support" else None
    before = signal.getsignal(signal.SIGINT)
    report = orchestrator(plan, command, parallel=2).run(Operation.UP, plan.stacks, plan.secrets)
    assert report.interrupted and report.exit_code == 130
    result = statuses(report)
    assert result["acme-support"] is Status.CREATED  # running when Ctrl-C came: finished
    assert result["initech-desk"] is Status.CANCELLED  # queued: never started
    assert command.calls_for("initech-desk") == []
    assert signal.getsignal(signal.SIGINT) is before  # the caller's handler is back


def test_a_second_ctrl_c_asks_the_running_commands_to_cancel(plan: Plan) -> None:
    asked: list[str] = []
    command = FakePulumiCommand(op_seconds=0.2)
    command.interrupt_running = lambda: asked.append("cancel") or 1  # type: ignore[attr-defined]

    def twice(stack: str) -> None:
        signal.raise_signal(signal.SIGINT)
        time.sleep(0.5)  # two presses: the main thread handles each (it wakes every 0.2 s at the latest)
        signal.raise_signal(signal.SIGINT)

    command.on_operation_start = twice
    report = orchestrator(plan, command, parallel=1).run(Operation.UP, plan.stacks, plan.secrets)
    assert asked == ["cancel"]
    assert [result.status for result in report.results][1:] == [Status.CANCELLED, Status.CANCELLED]


def test_keys_dropped_from_the_tenants_file_are_removed_from_the_stack(tmp_path: Path) -> None:
    first = make_plan(tmp_path)
    command = FakePulumiCommand()
    orchestrator(first, command).run(Operation.UP, first.stacks, first.secrets)
    text = first.path.read_text().replace("    config:\n      warmInstances: 1\n", "")
    second = make_plan(tmp_path, text)
    report = orchestrator(second, command).run(Operation.UP, second.stacks, second.secrets)
    removals = [call.args for call in command.calls_for("acme-support") if call.args[:2] == ["config", "rm-all"]]
    assert removals == [["config", "rm-all", "--stack", "acme-support", "agentic-memory:warmInstances"]]
    assert statuses(report)["acme-support"] is Status.UPDATED
    assert statuses(report)["initech-desk"] is Status.UNCHANGED


def test_a_hand_made_stack_file_is_never_overwritten(tmp_path: Path) -> None:
    text = (
        "tenants:\n  - {id: dev, agent_type: generic_voice_agent, cloud: aws, region: us-east-1,\n"
        "     secrets: {GENERIC_API_KEY: env:INITECH_GENERIC_KEY, ADMIN_API_KEY: env:INITECH_ADMIN_KEY,"
        " MEM0_API_KEY: env:ACME_MEM0_KEY}}\n"
    )
    plan = make_plan(tmp_path, text)
    original = "config:\n  agentic-memory:cloud: aws\n  aws:region: us-east-1\n"
    (plan.work_dir / "Pulumi.dev.yaml").write_text(original)
    command = FakePulumiCommand()
    report = orchestrator(plan, command).run(Operation.UP, plan.stacks, plan.secrets)
    assert report.results[0].status is Status.FAILED
    assert "Pulumi.dev.yaml" in (report.results[0].error or "")
    assert command.calls == []
    assert (plan.work_dir / "Pulumi.dev.yaml").read_text() == original


@pytest.mark.parametrize("operation", [Operation.DESTROY, Operation.OUTPUTS])
def test_destroy_and_outputs_never_create_a_stack(plan: Plan, operation: Operation) -> None:
    command = FakePulumiCommand()
    report = orchestrator(plan, command).run(operation, plan.stacks)
    assert statuses(report) == dict.fromkeys(TENANT_IDS, Status.ABSENT)
    assert [call.args[:2] for call in command.calls] == [["stack", "select"]] * 3
    assert report.exit_code == 0


def test_preview_reports_pending_changes_from_the_engine_events(plan: Plan) -> None:
    command = FakePulumiCommand()
    runner = orchestrator(plan, command)
    first = runner.run(Operation.PREVIEW, plan.stacks, plan.secrets)
    assert statuses(first) == dict.fromkeys(TENANT_IDS, Status.CHANGES)
    assert first.results[0].changes == {"create": 12}
    runner.run(Operation.UP, plan.stacks, plan.secrets)
    again = runner.run(Operation.PREVIEW, plan.stacks, plan.secrets)
    assert statuses(again) == dict.fromkeys(TENANT_IDS, Status.NO_CHANGES)
    previews = [call.args for call in command.calls if call.args[0] == "preview"]
    assert all("--event-log" in args and args[args.index("--event-log") + 1].startswith("tcp://") for args in previews)


def test_destroy_then_outputs(plan: Plan) -> None:
    command = FakePulumiCommand()
    runner = orchestrator(plan, command, remove_stacks=False)
    runner.run(Operation.UP, plan.stacks, plan.secrets)
    read = runner.run(Operation.OUTPUTS, plan.stacks)
    assert read.results[0].outputs["preCallUrl"].endswith("/client-data")
    destroyed = runner.run(Operation.DESTROY, plan.stacks)
    assert statuses(destroyed) == dict.fromkeys(TENANT_IDS, Status.DESTROYED)
    assert destroyed.results[2].changes == {"delete": 12}
    destroy_args = [call.args for call in command.calls if call.args[0] == "destroy"]
    assert destroy_args[0][:3] == ["destroy", "--skip-preview", "--yes"]


def test_a_plain_pulumi_command_is_refused_since_it_would_put_secrets_in_argv(plan: Plan) -> None:
    plain = PulumiCommand.__new__(PulumiCommand)  # the Automation API's own: every config setter uses argv
    with pytest.raises(TypeError, match="run_with_input"):
        orchestrator(plan, plain)  # type: ignore[arg-type]


def test_backend_and_secrets_provider_reach_every_command(plan: Plan) -> None:
    command = FakePulumiCommand(op_seconds=0)
    env = {"PULUMI_BACKEND_URL": "s3://tenants-state"}
    runner = orchestrator(plan, command, env_vars=env, secrets_provider="passphrase")
    runner.run(Operation.UP, plan.stacks[:1], plan.secrets)
    assert ["stack", "init", "acme-support", "--secrets-provider", "passphrase"] in [c.args for c in command.calls]
    assert all(call.env.get("PULUMI_BACKEND_URL") == "s3://tenants-state" for call in command.calls)


def test_each_tenant_has_its_own_work_directory_running_the_project_program(plan: Plan) -> None:
    """No two stacks share the CLI's per-directory workspace file; each directory runs the project's program."""
    command = FakePulumiCommand()
    orchestrator(plan, command).run(Operation.UP, plan.stacks, plan.secrets)
    for tenant_id in TENANT_IDS:
        work_dir = plan.work_dir / "tenants" / tenant_id
        project = yaml.safe_load((work_dir / "Pulumi.yaml").read_text())
        assert project["name"] == "agentic-memory"
        assert (work_dir / project["main"]).resolve() == (plan.work_dir / "infra").resolve()
        venv = project["runtime"]["options"]["virtualenv"]
        assert (work_dir / venv).resolve() == (plan.work_dir / ".venv").resolve()
    assert len({call.cwd for call in command.calls}) == len(TENANT_IDS)


def test_a_stack_file_written_beside_the_project_earlier_moves_into_the_tenant_directory(plan: Plan) -> None:
    tenant_id = TENANT_IDS[0]
    earlier = plan.work_dir / f"Pulumi.{tenant_id}.yaml"
    earlier.write_text(f"config:\n  agentic-memory:tenant: {tenant_id}\n")
    orchestrator(plan, FakePulumiCommand()).run(Operation.UP, [plan.stack(tenant_id)], plan.secrets)
    assert not earlier.exists()
    assert (plan.work_dir / "tenants" / tenant_id / earlier.name).exists()
