"""A fake ``pulumi`` CLI behind the Automation API's ``PulumiCommand`` seam (no CLI can be installed here).

It answers the commands the Automation API and the orchestrator issue with what the real CLI 3.272 prints
(``stack output --json``, ``stack history --json``), raises the Automation API's own errors from the real
CLI's stderr texts (``no stack named ... found``, the 409 conflict), writes ``Pulumi.<stack>.yaml`` in the
working directory as the CLI does (secure values as ``{secure: ...}``) and, for ``preview``, streams the
summary event over the gRPC ``Events`` service the Automation API listens on for CLIs newer than 3.205.

Every call is recorded: argv, cwd, env, stdin, thread, and how many operations were in flight.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import yaml
from pulumi.automation import CommandResult, PulumiCommand
from pulumi.automation._cmd import OnOutput
from pulumi.automation.errors import create_command_error
from pulumi.runtime.proto import events_pb2, events_pb2_grpc
from semver import VersionInfo

OPERATIONS = ("up", "preview", "destroy")
RESOURCES_PER_STACK = 12
CONFLICT = "error: [409] Conflict: Another update is currently in progress."


@dataclass
class Call:
    argv: list[str]
    cwd: str
    env: dict[str, str]
    stdin: str | None
    thread: str

    @property
    def args(self) -> list[str]:
        """The argv after ``pulumi --non-interactive``."""
        return [arg for arg in self.argv[1:] if arg != "--non-interactive"]

    @property
    def stack(self) -> str | None:
        args = self.args
        if "--stack" in args:
            return args[args.index("--stack") + 1]
        if args[:2] == ["stack", "init"]:
            return args[2]
        return None


@dataclass
class FakeStack:
    name: str
    config: dict[str, Any] = field(default_factory=dict)
    deployed: int = 0
    deployed_config: dict[str, Any] | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)


class FakePulumiCommand(PulumiCommand):
    """Stands in for the CLI; configure failures with ``fail``, lock conflicts with ``conflicts``."""

    def __init__(self, *, op_seconds: float = 0.05, existing: Mapping[str, FakeStack] | None = None) -> None:
        self.command = "pulumi"
        self.version = VersionInfo.parse("3.272.0")
        self.op_seconds = op_seconds
        self.stacks: dict[str, FakeStack] = dict(existing or {})
        self.calls: list[Call] = []
        self.fail: dict[str, str] = {}  # stack -> stderr of a failing up/preview/destroy
        self.conflicts: dict[str, int] = {}  # stack -> how many times the lock is held by someone else
        self.on_operation_start: Any = None  # hook(stack) called when an operation begins
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()

    # -- the PulumiCommand seam --------------------------------------------------------------------------

    def run(
        self,
        args: list[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output: OnOutput | None = None,
        on_error: OnOutput | None = None,
    ) -> CommandResult:
        return self._handle(list(args), cwd, additional_env, None, on_output)

    def run_with_input(self, args: list[str], cwd: str, additional_env: Mapping[str, str], stdin: str) -> CommandResult:
        return self._handle(list(args), cwd, additional_env, stdin, None)

    # -- helpers for tests -------------------------------------------------------------------------------

    def calls_for(self, stack: str) -> list[Call]:
        return [call for call in self.calls if call.stack == stack]

    def all_argv(self) -> list[list[str]]:
        return [call.argv for call in self.calls]

    # -- behaviour ---------------------------------------------------------------------------------------

    def _handle(
        self, args: list[str], cwd: str, env: Mapping[str, str], stdin: str | None, on_output: OnOutput | None
    ) -> CommandResult:
        argv = ["pulumi", "--non-interactive", *[arg for arg in args if arg != "--non-interactive"]]
        call = Call(argv, cwd, dict(env), stdin, threading.current_thread().name)
        with self._lock:
            self.calls.append(call)
        args = call.args
        stack_name = call.stack
        if args[0] in OPERATIONS:
            return self._operation(args, cwd, stack_name or "", on_output)
        with self._lock:
            if args[:2] == ["stack", "select"]:
                if stack_name not in self.stacks:
                    return self._error(f"error: no stack named '{stack_name}' found")
                return self._ok()
            if args[:2] == ["stack", "init"]:
                if stack_name in self.stacks:
                    return self._error(f"error: stack '{stack_name}' already exists")
                assert stack_name is not None
                self.stacks[stack_name] = FakeStack(stack_name)
                return self._ok()
            stack = self.stacks.get(stack_name or "")
            if stack is None:
                return self._error(f"error: no stack named '{stack_name}' found")
            if args[:2] == ["config", "set-all"]:
                self._set_all(stack, args[2:])
            elif args[:2] == ["config", "set"]:
                key = args[2]
                if "--secret" in args:
                    assert stdin is not None, "a secret must come on stdin"
                    stack.config[key] = {"secure": f"v1:fake-ciphertext-{len(stdin)}", "_plain": stdin}
                else:
                    stack.config[key] = args[args.index("--") + 1] if "--" in args else stdin
            elif args[:2] == ["config", "rm-all"]:
                for key in args[2:]:
                    if key != "--stack" and key != stack.name:
                        stack.config.pop(key, None)
            elif args[:2] == ["stack", "output"]:
                return self._ok(json.dumps(stack.outputs))
            elif args[:2] == ["stack", "history"]:
                return self._ok(json.dumps(list(reversed(stack.history))[:1]))
            else:
                return self._error(f"error: fake pulumi does not know {' '.join(args[:2])!r}")
            self._write_config_file(cwd, stack)
            return self._ok()

    def _set_all(self, stack: FakeStack, rest: list[str]) -> None:
        index = 0
        while index < len(rest):
            flag = rest[index]
            if flag in ("--plaintext", "--secret"):
                key, _, value = rest[index + 1].partition("=")
                stack.config[key] = {"secure": "v1:fake", "_plain": value} if flag == "--secret" else value
                index += 2
            else:
                index += 2 if flag == "--stack" else 1

    def _write_config_file(self, cwd: str, stack: FakeStack) -> None:
        public = {
            key: ({"secure": value["secure"]} if isinstance(value, dict) else value)
            for key, value in stack.config.items()
        }
        Path(cwd, f"Pulumi.{stack.name}.yaml").write_text(yaml.safe_dump({"config": public}))

    def _operation(self, args: list[str], cwd: str, stack_name: str, on_output: OnOutput | None) -> CommandResult:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.on_operation_start is not None:
                self.on_operation_start(stack_name)
            time.sleep(self.op_seconds)
            with self._lock:
                stack = self.stacks.get(stack_name)
                if stack is None:
                    return self._error(f"error: no stack named '{stack_name}' found")
                if self.conflicts.get(stack_name, 0) > 0:
                    self.conflicts[stack_name] -= 1
                    return self._error(CONFLICT)
                if stack_name in self.fail:
                    if on_output:
                        on_output(f"Updating ({stack_name}):")
                    return self._error(self.fail[stack_name])
                changes = self._changes(args[0], stack)
            if on_output:
                on_output(f"{args[0]} ({stack_name}): {json.dumps(changes)}")
            if args[0] == "preview":
                self._send_summary(args, changes)
                return self._ok("preview done")
            with self._lock:
                self._apply(args[0], stack, changes)
            return self._ok(f"{args[0]} done")
        finally:
            with self._lock:
                self.in_flight -= 1

    def _changes(self, operation: str, stack: FakeStack) -> dict[str, int]:
        if operation == "destroy":
            return {"delete": stack.deployed} if stack.deployed else {}
        if not stack.deployed:
            return {"create": RESOURCES_PER_STACK}
        if stack.deployed_config != stack.config:
            return {"same": RESOURCES_PER_STACK - 1, "update": 1}
        return {"same": RESOURCES_PER_STACK}

    def _apply(self, operation: str, stack: FakeStack, changes: dict[str, int]) -> None:
        if operation == "destroy":
            stack.deployed, stack.outputs, stack.deployed_config = 0, {}, None
        else:
            stack.deployed = RESOURCES_PER_STACK
            stack.deployed_config = json.loads(json.dumps(stack.config))
            cloud = stack.config.get("agentic-memory:cloud") or "aws"
            base = (
                f"https://{stack.name}.execute-api.us-east-1.amazonaws.com"
                if cloud == "aws"
                else f"https://am-{stack.name}-http-abc123-ew.a.run.app"
            )
            stack.outputs = {
                "cloud": cloud,
                "agentType": stack.config.get("agentic-memory:agentType", ""),
                "baseUrl": base,
                "healthUrl": f"{base}/healthz",
                "preCallUrl": f"{base}/client-data",
                "toolUrl": f"{base}/retrieve",
                "postCallUrl": f"{base}/post-call",
            }
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        stack.history.append(
            {
                "kind": "destroy" if operation == "destroy" else "update",
                "startTime": now,
                "endTime": now,
                "message": "",
                "environment": {},
                "config": {},
                "result": "succeeded",
                "version": len(stack.history) + 1,
                "resourceChanges": changes,
            }
        )

    def _send_summary(self, args: list[str], changes: dict[str, int]) -> None:
        """Stream the engine's summary event to the Automation API's gRPC ``Events`` server."""
        target = args[args.index("--event-log") + 1]
        assert target.startswith("tcp://"), target
        event = {"sequence": 1, "timestamp": int(time.time()), "summaryEvent": {"resourceChanges": changes}}
        with grpc.insecure_channel(target.removeprefix("tcp://")) as channel:
            stub = events_pb2_grpc.EventsStub(channel)
            stub.StreamEvents(iter([events_pb2.EventRequest(event=json.dumps(event))]), timeout=10)

    @staticmethod
    def _ok(stdout: str = "") -> CommandResult:
        return CommandResult(stdout=stdout, stderr="", code=0)

    @staticmethod
    def _error(stderr: str) -> CommandResult:
        raise create_command_error(CommandResult(stdout="", stderr=stderr, code=255))
