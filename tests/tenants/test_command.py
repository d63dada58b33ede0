"""The real ``StdinPulumiCommand`` against a stand-in ``pulumi`` executable: the secret crosses a pipe, not argv.

The stand-in is a small script that records its argv, its stdin and its session id, and answers like the CLI;
a missing CLI is a clear message naming what to install.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
from pulumi.automation import StackNotFoundError

from infra.tenants.command import StdinPulumiCommand, pulumi_command
from infra.tenants.errors import PulumiNotInstalled

SCRIPT = """#!{python}
import json, os, sys
args = sys.argv[1:]
if args == ["version"]:
    print("v3.272.0")
    sys.exit(0)
record = {{"argv": sys.argv, "stdin": None if sys.stdin.isatty() else sys.stdin.read(), "sid": os.getsid(0)}}
with open({log!r}, "a") as log:
    log.write(json.dumps(record) + "\\n")
if "select" in args:
    print("error: no stack named 'ghost' found", file=sys.stderr)
    sys.exit(255)
print("line one")
print("line two")
"""


@pytest.fixture
def fake_root(tmp_path: Path) -> tuple[Path, Path]:
    log = tmp_path / "calls.jsonl"
    executable = tmp_path / "pulumi-root" / "bin" / "pulumi"
    executable.parent.mkdir(parents=True)
    executable.write_text(SCRIPT.format(python=sys.executable, log=str(log)))
    executable.chmod(executable.stat().st_mode | stat.S_IXUSR)
    return executable.parent.parent, log


def calls(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_a_secret_goes_through_stdin_and_never_into_argv(fake_root: tuple[Path, Path], tmp_path: Path) -> None:
    root, log = fake_root
    command = pulumi_command(str(root))
    assert str(command.version) == "3.272.0"
    value = "tenantleak-stdin-only-4b5c"
    command.run_with_input(
        ["config", "set", "agentic-memory:adminApiKey", "--secret", "--stack", "acme"], str(tmp_path), {}, value
    )
    (call,) = calls(log)
    assert call["argv"][1:] == [
        "--non-interactive", "config", "set", "agentic-memory:adminApiKey", "--secret", "--stack", "acme"
    ]  # fmt: skip
    assert call["stdin"] == value
    assert not any(value in arg for arg in call["argv"])  # type: ignore[union-attr]


def test_run_streams_output_maps_errors_and_detaches_from_the_terminal(
    fake_root: tuple[Path, Path], tmp_path: Path
) -> None:
    root, log = fake_root
    command = StdinPulumiCommand(root=str(root))
    seen: list[str] = []
    result = command.run(["stack", "output", "--json", "--stack", "acme"], str(tmp_path), {"X": "1"}, seen.append)
    assert seen == ["line one", "line two"] and result.stdout == "line one\nline two" and result.code == 0
    with pytest.raises(StackNotFoundError):
        command.run(["stack", "select", "--stack", "ghost"], str(tmp_path), {})
    first = calls(log)[0]
    assert first["stdin"] == ""  # never the terminal: nothing can prompt
    assert first["sid"] != os.getsid(0)  # its own session: the terminal's Ctrl-C reaches only the orchestrator
    assert command.interrupt_running() == 0


def test_no_cli_is_a_clear_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PulumiNotInstalled) as caught:
        pulumi_command()
    assert "get.pulumi.com" in str(caught.value) and "PATH" in str(caught.value)
    with pytest.raises(PulumiNotInstalled, match="no `pulumi` command"):
        pulumi_command(str(tmp_path / "nowhere"))
