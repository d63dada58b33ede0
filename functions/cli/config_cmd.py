"""``agentic-memory config validate | schema``: check an agent-types file, write its JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from functions.cli.options import console, fail
from shared.config.loader import DEFAULT_CONFIG_PATH, load_agent_types
from shared.config.models import AgentTypesFile
from shared.errors import ConfigError
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
def validate(path: Annotated[Path | None, typer.Argument(help="The file (default: config/agent_types.json).")] = None) -> None:
    """Validate every agent type, including its provider's defaults."""
    file = path or DEFAULT_CONFIG_PATH
    try:
        agent_types = load_agent_types(file).agent_types
        profiles = [resolve_profile(name, agent_type) for name, agent_type in agent_types.items()]
    except ConfigError as exc:
        fail(str(exc))
    table = Table(title=f"{file}: {len(profiles)} agent types, valid")
    table.add_column("agent type", no_wrap=True)
    for column in ("provider", "format", "memory types", "secrets"):
        table.add_column(column)
    for profile in profiles:
        secrets = sorted({profile.auth[e].secret for e in ("client_data", "retrieve", "post_call") if profile.enabled(e)})
        table.add_row(
            profile.name,
            profile.config.provider,
            profile.response_format,
            ", ".join(profile.config.memory.types),
            ", ".join(secrets),
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
    out.write_text(schema_text())
    console.print(f"wrote {out}")
