"""The local commands when the store is down or the data dir unusable: one line naming the cause, exit 1, no
traceback (a new user's first mistake, or a Mem0 outage, must not look like a crash)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from functions.cli import app
from tests.conftest import CALLER, TEST_SECRETS
from tests.fakes.mem0_server import API_KEY, FakeMem0Server

runner = CliRunner()

COMMANDS = {
    "list": ["memories", "list", CALLER],
    "search": ["memories", "search", CALLER, "appointment"],
    "erase": ["memories", "erase", CALLER, "--yes"],
    "analytics user": ["analytics", "user", CALLER],
    "analytics agent": ["analytics", "agent"],
    "analytics by variant": ["analytics", "agent", "--by", "variant"],
    "sweep": ["sweep"],
    "export": ["memories", "export"],
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in TEST_SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AGENT_TYPE", raising=False)
    monkeypatch.delenv("MEMORY_BACKEND", raising=False)
    return TEST_SECRETS


@pytest.mark.parametrize("args", COMMANDS.values(), ids=COMMANDS.keys())
def test_mem0_down_is_one_line(tmp_path: Path, env: dict[str, str], args: list[str]) -> None:
    with FakeMem0Server() as server:
        server.fail_with = 503
        result = runner.invoke(
            app,
            [*args, "--data-dir", str(tmp_path)],
            env={"MEMORY_BACKEND": "mem0", "MEM0_API_KEY": API_KEY, "MEM0_HOST": server.url},
        )
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "mem0 answered HTTP 503" in result.output and CALLER not in result.output


@pytest.mark.parametrize(
    "args", [*COMMANDS.values(), ["replay", "--dead"], ["reindex"]], ids=[*COMMANDS, "replay", "reindex"]
)
def test_a_data_dir_that_cannot_be_made_is_one_line(tmp_path: Path, env: dict[str, str], args: list[str]) -> None:
    a_file = tmp_path / "not-a-dir"
    a_file.write_text("")
    result = runner.invoke(app, [*args, "--data-dir", str(a_file / "data")])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    # a command that reads what is stored refuses a data dir that does not exist (it is never made for it)
    shown = result.output.replace("\n", "")
    assert f"data dir {a_file / 'data'} cannot be used" in shown or f"no data dir {a_file / 'data'}" in shown
