"""Options shared by the local commands: which agent type, config file and data dir to work on."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from shared.errors import ConfigError
from shared.settings import Settings

DEFAULT_AGENT_TYPE = "elevenlabs_customer_support"

console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)

AgentTypeOption = Annotated[
    str | None,
    typer.Option("--agent-type", "-a", help=f"Agent type (default: $AGENT_TYPE or {DEFAULT_AGENT_TYPE})."),
]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="agent_types.json (default: $AGENTIC_MEMORY_CONFIG or config/).")
]
DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Local data directory (default: $AGENTIC_MEMORY_DATA_DIR or ./.agentic-memory)."),
]


def local_settings(
    agent_type: str | None, config: Path | None, data_dir: Path | None, *, environ: Mapping[str, str] | None = None
) -> Settings:
    """Options override the environment; the memory backend is the embedded store unless the env says otherwise."""
    environ = os.environ if environ is None else environ
    try:
        return Settings.from_environ(
            environ,
            agent_type=agent_type or environ.get("AGENT_TYPE") or DEFAULT_AGENT_TYPE,
            config_path=config,
            data_dir=data_dir,
        )
    except ConfigError as exc:
        fail(str(exc))
        raise  # unreachable


def require_data_dir(settings: Settings) -> Settings:
    """For a command that reads, erases or sweeps what is stored: a data dir that does not exist is a mistyped
    ``--data-dir`` or another working directory, never a new empty store to report "0 memories" (or an erasure) on.
    Only for the embedded store, whose memories live there."""
    if settings.memory_backend == "sqlite" and not settings.data_dir.exists():
        fail(
            f"no data dir {settings.data_dir}: nothing is stored there (check --data-dir, $AGENTIC_MEMORY_DATA_DIR "
            "or the working directory; serve creates it)"
        )
    return settings


def check_output(path: Path, option: str = "--out") -> None:
    """Stop, before any work, when ``path`` cannot become a file: it is a directory, or its directory is missing."""
    if path.is_dir():
        fail(f"{option} {path}: is a directory; give a file name")
    if not path.parent.is_dir():
        fail(f"{option} {path}: no directory {path.parent}")


def write_failed(path: Path, exc: OSError, option: str = "--out") -> None:
    """A write that failed all the same (permissions, a full disk): one line, no traceback."""
    fail(f"{option} {path}: cannot be written ({exc.strerror or type(exc).__name__})")


def fail(message: str, code: int = 1) -> None:
    from rich.markup import escape  # a message is text, not markup: "[infra]" or a field's "[0]" must show

    errors.print(f"[red]error:[/red] {escape(message)}", markup=True, highlight=False)
    raise typer.Exit(code)
