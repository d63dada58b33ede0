"""The Pulumi CLI as the Automation API drives it, with two additions the tenants runs need.

1. A secret value on stdin. Every config setter of the Automation API (``set_config``, ``set_all_config``,
   ``set_all_config_json`` in pulumi 3.272 ``automation/_local_workspace.py``) puts the value in the CLI's
   argv, where any local user can read it (``ps``, ``/proc/<pid>/cmdline``). ``pulumi config set <key>
   --secret`` given no value reads it from stdin when stdin is not a terminal
   (``pkg/cmd/pulumi/config/config_set.go``) and encrypts it with the stack's secrets provider into
   ``Pulumi.<stack>.yaml``. ``run_with_input`` runs exactly that: the value goes through a pipe.
2. Children in their own session. The terminal's Ctrl-C then reaches only this process, which stops
   starting stacks and lets running updates finish; ``interrupt_running()`` forwards a second Ctrl-C so
   Pulumi cancels them gracefully.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Mapping
from typing import IO

from pulumi.automation import CommandResult, PulumiCommand
from pulumi.automation._cmd import OnOutput
from pulumi.automation.errors import create_command_error
from semver import VersionInfo

from infra.tenants.errors import PulumiNotInstalled

INSTALL_HINT = (
    "the Pulumi CLI is required: install it with `curl -fsSL https://get.pulumi.com | sh` "
    "(or see https://www.pulumi.com/docs/install/), make sure `pulumi` is on PATH, then choose a state "
    "backend with `pulumi login` or the tenants file's backend_url"
)


def _pump(stream: IO[str], callback: OnOutput | None, lines: list[str]) -> None:
    for line in iter(stream.readline, ""):
        stripped = line.rstrip()
        if callback is not None:
            callback(stripped)
        lines.append(stripped)
    stream.close()


class StdinPulumiCommand(PulumiCommand):
    """``PulumiCommand`` whose commands run in their own session, plus ``run_with_input`` for secrets."""

    def __init__(self, root: str | None = None, version: VersionInfo | None = None, skip_version_check: bool = False):
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[str]] = set()
        super().__init__(root=root, version=version, skip_version_check=skip_version_check)

    def _env(self, additional_env: Mapping[str, str]) -> dict[str, str]:
        env = {**os.environ, **additional_env, "PULUMI_AUTOMATION_API": "true", "PULUMI_SKIP_UPDATE_CHECK": "true"}
        if os.path.isabs(self.command):
            env["PATH"] = os.path.dirname(self.command) + os.pathsep + env.get("PATH", "")
        return env

    def _argv(self, args: list[str]) -> list[str]:
        head = args[: args.index("--")] if "--" in args else args
        return [self.command, *([] if "--non-interactive" in head else ["--non-interactive"]), *args]

    def _track(self, process: subprocess.Popen[str], add: bool) -> None:
        with self._lock:
            (self._running.add if add else self._running.discard)(process)

    def run(
        self,
        args: list[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output: OnOutput | None = None,
        on_error: OnOutput | None = None,
    ) -> CommandResult:
        """As ``PulumiCommand.run`` (same argv, env and errors), in a new session."""
        stdout: list[str] = []
        stderr: list[str] = []
        with subprocess.Popen(
            self._argv(args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            env=self._env(additional_env),
            encoding="utf-8",
            start_new_session=True,
        ) as process:
            self._track(process, True)
            try:
                assert process.stdout is not None and process.stderr is not None
                pumps = [
                    threading.Thread(target=_pump, args=(process.stdout, on_output, stdout), daemon=True),
                    threading.Thread(target=_pump, args=(process.stderr, on_error, stderr), daemon=True),
                ]
                for pump in pumps:
                    pump.start()
                code = process.wait()
                for pump in pumps:
                    pump.join()
            finally:
                self._track(process, False)
        result = CommandResult(stdout="\n".join(stdout), stderr="\n".join(stderr), code=code)
        if code != 0:
            raise create_command_error(result)
        return result

    def run_with_input(self, args: list[str], cwd: str, additional_env: Mapping[str, str], stdin: str) -> CommandResult:
        """``pulumi --non-interactive <args>`` with ``stdin`` piped in; raises the Automation API's errors."""
        completed = subprocess.run(
            self._argv(args),
            input=stdin,
            capture_output=True,
            encoding="utf-8",
            cwd=cwd,
            env=self._env(additional_env),
            check=False,
            start_new_session=True,
        )
        result = CommandResult(stdout=completed.stdout, stderr=completed.stderr, code=completed.returncode)
        if completed.returncode != 0:
            raise create_command_error(result)
        return result

    def interrupt_running(self) -> int:
        """Send SIGINT to every running command (Pulumi then cancels gracefully); returns how many."""
        with self._lock:
            running = list(self._running)
        for process in running:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGINT)
        return len(running)


def pulumi_command(root: str | None = None) -> StdinPulumiCommand:
    """The installed CLI (``pulumi version`` runs once); a missing one is ``PulumiNotInstalled``, not a traceback."""
    executable = os.path.join(root, "bin", "pulumi") if root else shutil.which("pulumi")
    if not executable or not os.access(executable, os.X_OK):
        raise PulumiNotInstalled(f"no `pulumi` command found: {INSTALL_HINT}")
    try:
        return StdinPulumiCommand(root=root)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise PulumiNotInstalled(f"`pulumi version` failed ({exc}): {INSTALL_HINT}") from exc
    except Exception as exc:  # InvalidVersionError and the like: an unusable CLI, same remedy
        raise PulumiNotInstalled(f"the installed Pulumi CLI cannot be used ({exc}): {INSTALL_HINT}") from exc


__all__ = ["INSTALL_HINT", "StdinPulumiCommand", "pulumi_command"]
