"""One Pulumi operation on one tenant's stack: select it, write its config, run it, log it, report the result.

Per tenant, in a worker thread of the orchestrator's pool:

1. select the stack (``preview``/``up`` create it when missing) in a ``LocalWorkspace`` on the tenant's own
   work directory (``workdirs.py``: ``<project>/tenants/<id>/``, running this repository's program);
2. ``preview``/``up`` only: write its config. Plain values with ``config set-all --plaintext``; each secret
   with ``config set <key> --secret`` and the value on stdin (``command.py`` says why); keys this tool
   wrote earlier and the tenants file no longer has are removed;
3. run the operation, retrying ``ConcurrentUpdateError`` (someone else is updating that stack) with
   exponential back-off (``retry.py``).

Each tenant has its own work directory, so its commands rewrite only its own CLI workspace file
(``~/.pulumi/workspaces``); steps 1-2 also hold one lock, as a second guard. The long operations run in parallel.
Each tenant's CLI output goes to ``<run_dir>/<tenant>.log``; the logs of tenants that failed are kept, the others
removed unless ``keep_logs``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any, Protocol, cast

from pulumi.automation import (
    CommandError,
    ConfigValue,
    LocalWorkspace,
    PulumiCommand,
    Stack,
    StackNotFoundError,
)

from infra.tenants.results import Listener, Operation, Status, TenantResult
from infra.tenants.retry import Cancelled, RetryPolicy, run_with_retries
from infra.tenants.stacks import TENANT_MARKER, TenantStack
from infra.tenants.workdirs import stack_file_is_ours, tenant_work_dir
from shared.secrets import Secret

RUNNING_DETAIL = {
    Operation.PREVIEW: "previewing",
    Operation.UP: "updating",
    Operation.DESTROY: "destroying",
    Operation.OUTPUTS: "reading outputs",
}


class SecretCommand(Protocol):
    """What the orchestrator needs beyond ``PulumiCommand``: a command whose value arrives on stdin."""

    def run_with_input(self, args: list[str], cwd: str, additional_env: Mapping[str, str], stdin: str) -> Any: ...


class StackNotOurs(Exception):
    """A stack config file exists for this name but was not written by the tenants provisioning."""


class _TenantLog:
    """One tenant's log file, opened on first line; everything the CLI printed (Pulumi masks secrets)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None
        self._lock = threading.Lock()

    def line(self, text: str) -> None:
        with self._lock:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.path.open("a", encoding="utf-8")
            self._file.write(text + "\n")
            self._file.flush()

    def close(self, *, keep: bool) -> Path | None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
        if not keep:
            self.path.unlink(missing_ok=True)
            return None
        return self.path if self.path.exists() else None


def _short_error(exc: BaseException) -> str:
    """The line of a CLI failure worth a table cell: its last ``error:`` line, else the last line."""
    if isinstance(exc, CommandError):
        text = getattr(exc, "stderr", "") or str(exc)
        lines = [line.strip() for line in str(text).splitlines() if line.strip()]
        errors = [line for line in lines if line.lower().startswith("error")]
        return (errors or lines or [type(exc).__name__])[-1][:300]
    return f"{type(exc).__name__}: {exc}"[:300]


def _classify_up(changes: Mapping[str, int], new_stack: bool) -> Status:
    changed = sum(count for op, count in changes.items() if op != "same")
    if changed == 0:
        return Status.UNCHANGED
    if new_stack or set(changes) <= {"create"}:
        return Status.CREATED
    return Status.UPDATED


class TenantRunner:
    """Runs one tenant at a time per call; one per orchestrator run, shared by the pool's threads."""

    def __init__(
        self,
        command: PulumiCommand,
        work_dir: Path,
        *,
        env_vars: Mapping[str, str],
        secrets_provider: str | None,
        listener: Listener,
        retry: RetryPolicy,
        stop: threading.Event,
        wait_fn: Callable[[float], bool] | None,
        setup_lock: threading.Lock,
        keep_logs: bool,
        remove_stacks: bool,
        clock: Callable[[], float],
    ) -> None:
        self.command = command
        self._secret_command = cast(SecretCommand, command)  # the orchestrator checked it has run_with_input
        self.work_dir = work_dir
        self.env_vars = env_vars
        self.secrets_provider = secrets_provider
        self.listener = listener
        self.retry = retry
        self.keep_logs = keep_logs
        self.remove_stacks = remove_stacks
        self._stop = stop
        self._wait_fn = wait_fn
        self._setup_lock = setup_lock
        self._clock = clock

    def run(
        self, operation: Operation, stack: TenantStack, secrets: Mapping[str, Secret], run_dir: Path
    ) -> TenantResult:
        """This tenant's result; never raises for its failure, so one tenant's failure never stops the others."""
        result = TenantResult(stack.name, Status.CANCELLED)
        if self._stop.is_set():
            self.listener.update(stack.name, Status.CANCELLED, "not started (interrupted)")
            return result
        log = _TenantLog(run_dir / f"{stack.name}.log")
        started = self._clock()
        try:
            log.line(f"# {operation.value} {stack.name} ({stack.tenant.cloud}, {stack.tenant.agent_type})")
            self._dispatch(operation, stack, secrets, result, log)
        except Cancelled:
            result.status, result.error = Status.CANCELLED, "interrupted while waiting to retry"
        except Exception as exc:  # one tenant's failure never stops the others
            result.status, result.error = Status.FAILED, _short_error(exc)
            log.line(f"# failed: {type(exc).__name__}")
            log.line(str(exc))
        result.seconds = self._clock() - started
        result.log_path = log.close(keep=result.failed or self.keep_logs)
        detail = result.error or ", ".join(f"{op} {count}" for op, count in sorted(result.changes.items()))
        self.listener.update(stack.name, result.status, detail)
        return result

    def _dispatch(
        self,
        operation: Operation,
        stack: TenantStack,
        secrets: Mapping[str, Secret],
        result: TenantResult,
        log: _TenantLog,
    ) -> None:
        self.listener.update(stack.name, Status.PREPARING, "selecting stack")
        creates = operation in (Operation.PREVIEW, Operation.UP)
        selected = self._select(stack, create=creates)
        if selected is None:
            result.status = Status.ABSENT
            return
        handle, new_stack = selected
        if creates:
            self.listener.update(stack.name, Status.PREPARING, "writing config")
            self._configure(handle, stack, secrets)

        def echo(line: str) -> None:
            log.line(line)

        def retrying(action: Callable[[], Any]) -> Any:
            return run_with_retries(
                action,
                policy=self.retry,
                tenant_id=stack.name,
                result=result,
                listener=self.listener,
                sleep=self._sleep,
            )

        self.listener.update(stack.name, Status.RUNNING, RUNNING_DETAIL[operation])
        if operation is Operation.UP:
            up = retrying(
                lambda: handle.up(
                    color="never", on_output=echo, on_error=echo, show_secrets=False, suppress_progress=True
                )
            )
            result.changes = dict(up.summary.resource_changes or {})
            result.outputs = {key: out.value for key, out in up.outputs.items() if not out.secret}
            result.status = _classify_up(result.changes, new_stack)
        elif operation is Operation.PREVIEW:
            preview = retrying(lambda: handle.preview(color="never", on_output=echo, on_error=echo))
            result.changes = dict(preview.change_summary or {})
            changed = sum(count for op, count in result.changes.items() if op != "same")
            result.status = Status.CHANGES if changed else Status.NO_CHANGES
        elif operation is Operation.DESTROY:
            destroyed = retrying(
                lambda: handle.destroy(
                    color="never", on_output=echo, on_error=echo, show_secrets=False, remove=self.remove_stacks
                )
            )
            result.changes = dict(destroyed.summary.resource_changes or {})
            result.status = Status.DESTROYED
        else:
            result.outputs = {key: out.value for key, out in handle.outputs().items() if not out.secret}
            result.status = Status.READ

    # -- steps -----------------------------------------------------------------------------------------

    def _workspace(self, stack: TenantStack) -> LocalWorkspace:
        """The tenant's own work directory (``workdirs.py``): no two stacks share the CLI's workspace file."""
        return LocalWorkspace(
            work_dir=str(tenant_work_dir(self.work_dir, stack.name, stack.project)),
            pulumi_command=self.command,
            env_vars=self.env_vars,
            secrets_provider=self.secrets_provider,
        )

    def _existing_config(self, workspace: LocalWorkspace, name: str) -> dict[str, Any]:
        try:
            return dict(workspace.stack_settings(name).config or {})
        except FileNotFoundError:
            return {}

    def _select(self, stack: TenantStack, *, create: bool) -> tuple[Stack, bool] | None:
        """The stack, and whether this run created it; ``None`` when it does not exist and may not be created."""
        with self._setup_lock:
            workspace = self._workspace(stack)
            existing = self._existing_config(workspace, stack.name)
            marker = f"{stack.project}:{TENANT_MARKER}"
            beside = self.work_dir / f"Pulumi.{stack.name}.yaml"  # a hand-made stack of the project's own
            if beside.exists() and not stack_file_is_ours(beside, stack.project, stack.name):
                existing = existing or {marker: None}
            if existing and existing.get(marker) != stack.name:
                raise StackNotOurs(
                    f"Pulumi.{stack.name}.yaml exists and was not written for tenant {stack.name!r} "
                    f"(no {marker} key): rename the tenant or move that stack's file away"
                )
            try:
                return Stack.select(stack.name, workspace), False
            except StackNotFoundError:
                if not create:
                    return None
            return Stack.create(stack.name, workspace), True

    def _configure(self, handle: Stack, stack: TenantStack, secrets: Mapping[str, Secret]) -> None:
        workspace = handle.workspace
        assert isinstance(workspace, LocalWorkspace)
        missing = [name for name in stack.secret_keys.values() if name not in secrets]
        if missing:
            raise KeyError(f"secrets not resolved: {', '.join(missing)}")
        with self._setup_lock:
            handle.set_all_config({key: ConfigValue(value=value, secret=False) for key, value in stack.plain.items()})
            for key, name in stack.secret_keys.items():
                self._secret_command.run_with_input(
                    ["config", "set", key, "--secret", "--stack", stack.name],
                    workspace.work_dir,
                    dict(workspace.env_vars),
                    secrets[name].reveal(),
                )
            wanted = set(stack.plain) | set(stack.secret_keys)
            stale = sorted((set(self._existing_config(workspace, stack.name)) & stack.managed_keys) - wanted)
            if stale:
                handle.remove_all_config(stale)

    def _sleep(self, seconds: float) -> bool:
        """Wait before a retry; True when Ctrl-C came meanwhile."""
        if self._wait_fn is not None:
            return self._wait_fn(seconds) or self._stop.is_set()
        return self._stop.wait(seconds)


__all__ = ["RUNNING_DETAIL", "SecretCommand", "StackNotOurs", "TenantRunner"]
