"""``agentic-memory config validate | schema | migrate``: check an agent-types file, write its JSON Schema, and
generate an agent type from the original system's environment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from functions.cli.options import check_output, console, errors, fail, write_failed
from shared.config.loader import DEFAULT_CONFIG_PATH, load_agent_types
from shared.config.migrate import DEFAULT_NAME
from shared.config.models import AgentTypesFile
from shared.errors import ConfigError
from shared.experiments.plan import check_combinations
from shared.processors.registry import installed, named, unknown
from shared.profile import resolve_profile

app = typer.Typer(help="Check and describe config/agent_types.json.", no_args_is_help=True)

SCHEMA_PATH = DEFAULT_CONFIG_PATH.with_name("agent_types.schema.json")


def json_schema() -> dict[str, Any]:
    schema = AgentTypesFile.model_json_schema(by_alias=True)
    schema["$id"] = "https://agentic-memory.dev/schemas/agent_types.schema.json"
    schema["title"] = "agentic-memory agent types"
    return schema


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


@app.command()
def validate(
    path: Annotated[Path | None, typer.Argument(help="The file (default: config/agent_types.json).")] = None,
) -> None:
    """Validate every agent type, including its provider's defaults."""
    file = path or DEFAULT_CONFIG_PATH
    try:
        agent_types = load_agent_types(file).agent_types
        profiles = [resolve_profile(name, agent_type, file) for name, agent_type in agent_types.items()]
        for profile in profiles:
            check_combinations(profile.name, profile.config)  # as the service does when it starts
    except ConfigError as exc:
        fail(str(exc))
    if any(named(profile.config) for profile in profiles):
        available = installed()
        listed = ", ".join(sorted(available)) or "none"
        problems = [
            f"{file}: agent type {profile.name!r}: unknown processor {name!r} (installed: {listed})"
            for profile in profiles
            for name in unknown(profile.config, available)
        ]
        if problems:
            fail("\n".join(problems))
    table = Table(title=f"{file}: {len(profiles)} agent types, valid")
    table.add_column("agent type", no_wrap=True)
    for column in ("provider", "format", "memory types", "secrets", "experiments", "processors"):
        table.add_column(column)
    for profile in profiles:
        secrets = sorted(
            {profile.auth[e].secret for e in ("client_data", "retrieve", "post_call") if profile.enabled(e)}
        )
        table.add_row(
            profile.name,
            profile.config.provider,
            profile.response_format,
            ", ".join(profile.config.memory.types),
            ", ".join(secrets),
            ", ".join([*profile.config.experiments, *profile.config.rollouts]),
            ", ".join(sorted(named(profile.config))),
        )
    console.print(table)


@app.command()
def schema(
    out: Annotated[Path, typer.Option("--out", help="Where to write it; '-' for standard output.")] = SCHEMA_PATH,
) -> None:
    """Write the JSON Schema of agent_types.json, generated from the models."""
    if str(out) == "-":
        typer.echo(schema_text(), nl=False)
        return
    check_output(out)
    try:
        out.write_text(schema_text())
    except OSError as exc:
        write_failed(out, exc)
    console.print(f"wrote {out}")


@app.command()
def migrate(
    env_file: Annotated[
        Path | None,
        typer.Option("--env-file", help="KEY=VALUE lines of the original deployment (default: this environment)."),
    ] = None,
    name: Annotated[str, typer.Option("--name", help="Name of the generated agent type.")] = DEFAULT_NAME,
    out: Annotated[
        str, typer.Option("--out", help="Write here; an existing file gets the entry added. '-': standard output.")
    ] = "-",
    replace: Annotated[bool, typer.Option("--replace", help="Replace a same-named agent type in --out.")] = False,
) -> None:
    """Generate an agent type from the original system's environment (MEM0_SEARCH_LIMIT, ELEVENLABS_* keys, ...)."""
    import os

    from shared.config.migrate import migrate_environment, read_env_file

    target = None if out == "-" else Path(out)
    if target is not None:
        check_output(target)
    try:
        environ = read_env_file(env_file) if env_file else dict(os.environ)
        migration = migrate_environment(environ, name=name)
        existing = load_agent_types(target) if target is not None and target.exists() else None
        document = migration.document(existing, replace=replace)
    except ConfigError as exc:
        fail(str(exc))
        raise  # unreachable
    text = json.dumps(document, indent=2) + "\n"
    if target is None:
        typer.echo(text, nl=False)
    else:
        tmp = target.with_name(target.name + ".tmp")
        try:
            tmp.write_text(text)
            tmp.replace(target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            write_failed(target, exc)
        errors.print(f"wrote agent type {name!r} to {target}")
    errors.print(f"secrets to set on the stack (names only): {', '.join(migration.secrets)}")
    for setting, value in migration.settings.items():
        errors.print(f"stack setting: {setting}={value}")
    for note in migration.notes:
        errors.print(f"note: {note}", highlight=False)
