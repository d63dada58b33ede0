"""``agentic-memory sweep``: the retention sweep on the local store and archive (the cloud runs it on a schedule)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from functions.cli.options import (
    AgentTypeOption,
    ConfigOption,
    DataDirOption,
    console,
    fail,
    local_settings,
    require_data_dir,
)
from shared.errors import AgenticMemoryError


def sweep(
    as_json: Annotated[bool, typer.Option("--json", help="Print what was deleted as JSON.")] = False,
    agent_type: AgentTypeOption = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Delete memories past their expires_at and archived events past the archive retention. Idempotent."""
    from functions.local import build_local

    try:
        local = build_local(require_data_dir(local_settings(agent_type, config, data_dir)))
    except AgenticMemoryError as exc:
        fail(str(exc))
        raise  # unreachable
    try:
        deleted = local.runtime.sweep()
        days = local.runtime.profile.config.memory.archive_retention()
    except AgenticMemoryError as exc:
        fail(str(exc))
        raise  # unreachable
    finally:
        local.close()
    if as_json:
        typer.echo(json.dumps(deleted))
        return
    console.print(
        f"retention sweep ({local.runtime.profile.name}): deleted {deleted['memories']} memories past their "
        f"retention and {deleted['archived_events']} archived events older than {days} days"
    )
