"""``agentic-memory tenants preview|up|destroy|outputs``: one Pulumi stack per tenant of a tenants file.

Everything under ``infra`` (Pulumi, pyyaml) is imported inside the commands, so ``agentic-memory --help``
stays fast and works without the ``infra`` extra. The file, the agent types and every secret reference are
checked before any stack is touched; a missing Pulumi CLI is one clear message.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from functions.cli.options import check_output, console, fail, write_failed

if TYPE_CHECKING:
    from infra.tenants.models import TenantsFile
    from infra.tenants.results import Operation, RunReport
    from infra.tenants.stacks import TenantStack

app = typer.Typer(help="Provision one Pulumi stack per tenant from a tenants file.", no_args_is_help=True)

INFRA_MODULES = ("pulumi", "yaml")


@app.callback()
def _needs_infra_extra() -> None:
    """Every tenants command reads the file with pyyaml and the stack config with Pulumi's SDK: say so clearly
    (``make serve`` installs the service only) rather than end in a ModuleNotFoundError traceback."""
    import importlib.util

    missing = [name for name in INFRA_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        fail(
            f"the tenants commands need the infra extra ({', '.join(missing)} not installed): "
            "run .venv/bin/pip install -e '.[infra]'"
        )


REPO_ROOT = Path(__file__).resolve().parents[2]

FileOption = Annotated[Path, typer.Option("--file", "-f", help="The tenants file (YAML).")]
OnlyOption = Annotated[list[str] | None, typer.Option("--only", help="Act on this tenant id only; repeat for several.")]
ParallelOption = Annotated[int, typer.Option("--parallel", "-p", min=1, max=64, help="Stacks run at the same time.")]
WorkDirOption = Annotated[
    Path, typer.Option("--work-dir", help="The Pulumi project (folder of Pulumi.yaml); default: this repository.")
]
LogDirOption = Annotated[
    Path, typer.Option("--log-dir", help="Per-tenant logs go here; failed tenants' logs are kept.")
]
KeepLogsOption = Annotated[bool, typer.Option("--keep-logs", help="Keep every tenant's log, not only failures'.")]
AgentTypesOption = Annotated[
    Path | None,
    typer.Option(
        "--agent-types", help="agent_types.json: the project's config/agent_types.json, the file the stacks deploy."
    ),
]


def _not_deployed(agent_types: Path | None, work_dir: Path) -> list[str]:
    """``--agent-types`` naming another file than the one the stacks deploy: the program reads, and the bundle
    carries, the project's own ``config/agent_types.json``, so the tenants would be checked against one file and run
    with another (an agent type missing there, or the same name with other settings)."""
    deployed = work_dir / "config" / "agent_types.json"
    if agent_types is None or agent_types.resolve() == deployed.resolve():
        return []
    return [
        f"--agent-types {agent_types}: the stacks deploy {deployed} (the program reads it and the bundle carries it), "
        "not this file; put the agent types there"
    ]


def _die(exc: Exception) -> None:
    fail(str(exc))


def _plan(
    file: Path,
    only: list[str] | None,
    work_dir: Path,
    agent_types: Path | None,
    *,
    validate: bool,
    raise_errors: bool = False,
) -> tuple[TenantsFile, list[TenantStack]]:
    from infra.tenants.models import load_tenants
    from infra.tenants.stacks import plan_stacks, project_name, tenant_stack
    from shared.config.loader import DEFAULT_CONFIG_PATH
    from shared.errors import ConfigError

    agent_types_path = agent_types or DEFAULT_CONFIG_PATH
    try:
        tenants_file = load_tenants(file, agent_types_path=agent_types_path)
        tenants = tenants_file.select(only or ())
        project = project_name(work_dir)
        if validate:
            return tenants_file, plan_stacks(tenants_file, tenants, project=project, agent_types_path=agent_types_path)
        defaults = tenants_file.defaults.config
        return tenants_file, [tenant_stack(tenant, defaults=defaults, project=project) for tenant in tenants]
    except ConfigError as exc:
        if raise_errors:
            raise
        _die(exc)
        raise  # unreachable


def _prebuild(stacks: list[TenantStack], work_dir: Path) -> None:
    """Build the handler bundle once, so N programs starting together reuse it instead of racing to write it."""
    if work_dir.resolve() != REPO_ROOT:
        return
    import subprocess

    from infra.bundle import build_bundle
    from infra.program import DEFAULT_BUILD_DIR

    with_layer = any(stack.tenant.cloud == "aws" for stack in stacks)
    console.print(
        "building the handler bundle once for every stack" + (" (with the Lambda layer)" if with_layer else "")
    )
    try:
        build_bundle(DEFAULT_BUILD_DIR, repo_root=REPO_ROOT, with_layer=with_layer)
    except (OSError, subprocess.CalledProcessError) as exc:
        fail(f"bundle failed: {exc}")


def _command(ctx: typer.Context, problems: list[str]) -> Any:
    """The Pulumi CLI (tests hand a fake in ``ctx.obj['pulumi_command']``); a missing one joins ``problems``."""
    injected = (ctx.obj or {}).get("pulumi_command") if isinstance(ctx.obj, dict) else None
    if injected is not None:
        return injected
    from infra.tenants.command import pulumi_command
    from infra.tenants.errors import PulumiNotInstalled

    try:
        return pulumi_command()
    except PulumiNotInstalled as exc:
        problems.append(str(exc))
        return None


def _run(
    ctx: typer.Context,
    operation: Operation,
    file: Path,
    only: list[str] | None,
    parallel: int,
    work_dir: Path,
    log_dir: Path,
    keep_logs: bool,
    agent_types: Path | None,
    *,
    remove_stacks: bool = False,
) -> tuple[RunReport, list[TenantStack], TenantsFile]:
    from infra.tenants.orchestrator import Orchestrator
    from infra.tenants.progress import LiveProgress, summary
    from infra.tenants.results import Operation
    from infra.tenants.secrets import SecretResolver
    from shared.errors import ConfigError

    deploys = operation in (Operation.PREVIEW, Operation.UP)
    # Every problem found before anything runs is reported at once: the file, the secrets, the passphrase, the CLI.
    problems: list[str] = _not_deployed(agent_types, work_dir) if operation is not Operation.DESTROY else []
    planned: tuple[TenantsFile, list[TenantStack]] | None = None
    try:
        planned = _plan(file, only, work_dir, agent_types, validate=deploys, raise_errors=True)
    except ConfigError as exc:
        problems.append(str(exc))
    secrets = {}
    if planned is not None and deploys:
        try:
            secrets = SecretResolver(base_dir=file.resolve().parent).resolve_all([stack.tenant for stack in planned[1]])
        except ConfigError as exc:
            problems.append(str(exc))
    if (
        planned is not None
        and planned[0].secrets_provider == "passphrase"
        and not (os.environ.get("PULUMI_CONFIG_PASSPHRASE") or os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE"))
    ):
        problems.append(
            "secrets_provider is passphrase: set PULUMI_CONFIG_PASSPHRASE_FILE (or PULUMI_CONFIG_PASSPHRASE) first"
        )
    command = _command(ctx, problems)
    if problems or planned is None:
        fail("\n".join(problems))
    assert planned is not None
    tenants_file, stacks = planned
    if deploys and not (isinstance(ctx.obj, dict) and ctx.obj.get("skip_prebuild")):
        _prebuild(stacks, work_dir)
    env = {"PULUMI_BACKEND_URL": tenants_file.backend_url} if tenants_file.backend_url else {}
    title = f"tenants {operation.value}: {len(stacks)} stack(s), {min(parallel, len(stacks))} at a time"
    with LiveProgress(stacks, title=title, console=console) as progress:
        orchestrator = Orchestrator(
            command,
            work_dir,
            parallel=parallel,
            env_vars=env,
            secrets_provider=tenants_file.secrets_provider,
            log_dir=log_dir,
            listener=progress,
            keep_logs=keep_logs,
            remove_stacks=remove_stacks,
        )
        report = orchestrator.run(operation, stacks, secrets)
    console.print(summary(report))
    return report, stacks, tenants_file


def _paste(report: RunReport, stacks: list[TenantStack], agent_types: Path | None, json_path: Path | None) -> None:
    from infra.tenants.outputs import settings_json, settings_table, tenant_settings
    from shared.config.loader import DEFAULT_CONFIG_PATH

    by_id = {stack.name: stack for stack in stacks}
    settings = [
        tenant_settings(
            result.tenant_id,
            by_id[result.tenant_id].tenant.agent_type,
            by_id[result.tenant_id].tenant.cloud,
            result.outputs,
            status=result.status.value,
            references=dict(by_id[result.tenant_id].tenant.secrets),
            agent_types_path=agent_types or DEFAULT_CONFIG_PATH,
        )
        for result in report.results
        if not result.failed
    ]
    if not settings:
        return
    console.print(settings_table(settings))
    if json_path is not None:
        text = json.dumps(settings_json(settings), indent=2) + "\n"
        if str(json_path) == "-":
            typer.echo(text, nl=False)
        else:
            json_path.write_text(text, encoding="utf-8")
            console.print(f"platform settings written to {json_path}")


DEFAULT_FILE = Path("tenants.yaml")
DEFAULT_LOGS = Path(".agentic-memory") / "tenants-logs"


@app.command()
def preview(
    ctx: typer.Context,
    file: FileOption = DEFAULT_FILE,
    only: OnlyOption = None,
    parallel: ParallelOption = 4,
    work_dir: WorkDirOption = REPO_ROOT,
    log_dir: LogDirOption = DEFAULT_LOGS,
    keep_logs: KeepLogsOption = False,
    agent_types: AgentTypesOption = None,
) -> None:
    """Show what up would change for each tenant (creates missing stacks and writes their config)."""
    from infra.tenants.results import Operation

    report, _, _ = _run(ctx, Operation.PREVIEW, file, only, parallel, work_dir, log_dir, keep_logs, agent_types)
    raise typer.Exit(report.exit_code)


@app.command()
def up(
    ctx: typer.Context,
    file: FileOption = DEFAULT_FILE,
    only: OnlyOption = None,
    parallel: ParallelOption = 4,
    work_dir: WorkDirOption = REPO_ROOT,
    log_dir: LogDirOption = DEFAULT_LOGS,
    keep_logs: KeepLogsOption = False,
    agent_types: AgentTypesOption = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the platform settings as JSON ('-' for stdout).")
    ] = None,
) -> None:
    """Create or update each tenant's stack, then show what to paste into each platform."""
    from infra.tenants.results import Operation

    report, stacks, _ = _run(ctx, Operation.UP, file, only, parallel, work_dir, log_dir, keep_logs, agent_types)
    _paste(report, stacks, agent_types, json_out)
    raise typer.Exit(report.exit_code)


@app.command()
def destroy(
    ctx: typer.Context,
    file: FileOption = DEFAULT_FILE,
    only: OnlyOption = None,
    parallel: ParallelOption = 4,
    work_dir: WorkDirOption = REPO_ROOT,
    log_dir: LogDirOption = DEFAULT_LOGS,
    keep_logs: KeepLogsOption = False,
    agent_types: AgentTypesOption = None,
    remove: Annotated[bool, typer.Option("--remove", help="Also delete the stacks and their config files.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete every resource of each tenant's stack: its memory store and archive only with memoryDeletionProtection
    false (applied by up first); memories in Mem0 Platform (memoryBackend mem0) are not deleted."""
    from infra.tenants.results import Operation

    if not yes:
        _, stacks = _plan(file, only, work_dir, agent_types, validate=False)
        names = ", ".join(stack.name for stack in stacks)
        if not typer.confirm(f"destroy every resource of {len(stacks)} tenant stack(s): {names}?"):
            raise typer.Exit(1)
    report, _, _ = _run(
        ctx, Operation.DESTROY, file, only, parallel, work_dir, log_dir, keep_logs, agent_types, remove_stacks=remove
    )
    raise typer.Exit(report.exit_code)


@app.command()
def outputs(
    ctx: typer.Context,
    file: FileOption = DEFAULT_FILE,
    only: OnlyOption = None,
    parallel: ParallelOption = 4,
    work_dir: WorkDirOption = REPO_ROOT,
    log_dir: LogDirOption = DEFAULT_LOGS,
    agent_types: AgentTypesOption = None,
    json_out: Annotated[
        Path, typer.Option("--json", help="Where to write the platform settings as JSON ('-' for stdout).")
    ] = Path("tenants-outputs.json"),
) -> None:
    """Each tenant's URLs and the platform-side settings to paste, as a table and as JSON."""
    from infra.tenants.results import Operation

    report, stacks, _ = _run(ctx, Operation.OUTPUTS, file, only, parallel, work_dir, log_dir, False, agent_types)
    _paste(report, stacks, agent_types, json_out)
    raise typer.Exit(report.exit_code)


@app.command()
def validate(
    file: FileOption = DEFAULT_FILE,
    only: OnlyOption = None,
    work_dir: WorkDirOption = REPO_ROOT,
    agent_types: AgentTypesOption = None,
    check_secrets: Annotated[
        bool, typer.Option("--secrets/--no-secrets", help="Also resolve every secret reference (values stay hidden).")
    ] = True,
) -> None:
    """Check the tenants file as up would, without Pulumi: fields, ids, agent types, required secrets; every problem
    found is listed in one run."""
    from infra.tenants.checks import check_tenants
    from infra.tenants.secrets import SecretResolver
    from shared.config.loader import DEFAULT_CONFIG_PATH
    from shared.errors import ConfigError

    resolver = SecretResolver(base_dir=file.resolve().parent) if check_secrets else None
    try:
        stacks, problems = check_tenants(
            file,
            only=only or (),
            work_dir=work_dir,
            agent_types_path=agent_types or DEFAULT_CONFIG_PATH,
            resolver=resolver,
        )
    except ConfigError as exc:
        _die(exc)
        raise  # unreachable
    problems = _not_deployed(agent_types, work_dir) + problems
    if problems:
        fail("\n".join(problems))
    console.print(f"{file}: {len(stacks)} tenant(s) valid: {', '.join(stack.name for stack in stacks)}")


@app.command()
def schema(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write here; '-' for standard output (default: config/tenants.schema.json)."),
    ] = None,
) -> None:
    """Write the tenants file's JSON Schema (generated from the model)."""
    from infra.tenants.models import SCHEMA_PATH, tenants_schema_text

    if out is not None and str(out) == "-":  # as `config schema --out -`
        typer.echo(tenants_schema_text(), nl=False)
        return
    path = out or SCHEMA_PATH
    check_output(path)
    try:
        path.write_text(tenants_schema_text(), encoding="utf-8")
    except OSError as exc:
        write_failed(path, exc)
    console.print(f"wrote {path}")
