"""``--help`` works on every command: configuration.md tells a newcomer to run any of them with it."""

from __future__ import annotations

from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from functions.cli import app

runner = CliRunner()


def _command_paths(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [path]
    for name, sub in sorted(getattr(command, "commands", {}).items()):  # a group (typer vendors its own click)
        paths += _command_paths(sub, (*path, name))
    return paths


COMMANDS = _command_paths(typer.main.get_command(app))


def test_the_walk_reaches_every_group_and_the_connect_commands() -> None:
    assert ("connect", "elevenlabs") in COMMANDS and ("tenants", "schema") in COMMANDS and len(COMMANDS) > 25


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "agentic-memory")
def test_help_is_shown_for_every_command(path: tuple[str, ...]) -> None:
    """``connect elevenlabs|vapi|retell --help`` died of a rich MarkupError: ``--url``'s help read ``[/stage]``."""
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, (path, repr(result.exception))
    assert "Usage:" in result.output and "Traceback" not in result.output
