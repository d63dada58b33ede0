"""Run one Pulumi operation over many tenant stacks: N at a time, one update per stack, nothing secret in argv.

Per tenant, in a worker thread of a pool of ``parallel``:

1. select the stack (``preview``/``up`` create it when missing) in a ``LocalWorkspace`` on this repository's
   program (``work_dir``: the folder of ``Pulumi.yaml``);
2. ``preview``/``up`` only: write its config. Plain values with ``config set-all --plaintext``; each secret
   with ``config set <key> --secret`` and the value on stdin (``command.py`` says why); keys this tool
   wrote earlier and the tenants file no longer has are removed;
3. run the operation, retrying ``ConcurrentUpdateError`` (someone else is updating that stack) with
   exponential back-off.

Steps 1-2 hold one lock: each of those commands also rewrites the CLI's per-project workspace file
(``~/.pulumi/workspaces``), which concurrent writers could corrupt. The long operations run in parallel.
Ctrl-C (SIGINT, caught while ``run`` is in the main thread) stops starting new tenants and waits for running
ones; a second Ctrl-C asks them to cancel. Each tenant's CLI output goes to ``<log_dir>/<tenant>.log``; the logs of
tenants that failed are kept, the others removed unless ``keep_logs``.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, Protocol

from pulumi.automation import (
    CommandError,
    ConcurrentUpdateError,
    ConfigValue,
    LocalWorkspace,
    PulumiCommand,
    Stack,
    StackNotFoundError,
)

from infra.tenants.stacks import TENANT_MARKER, TenantStack
from shared.secrets import Secret


class Operation(StrEnum):
    PREVIEW = "preview"
    UP = "up"
    DESTROY = "destroy"
    OUTPUTS = "outputs"


class Status(StrEnum):
    QUEUED = "queued"
    PREPARING = "preparing"
    RUNNING = "running"
    RETRYING = "retrying"
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    CHANGES = "changes pending"
    NO_CHANGES = "no changes"
    DESTROYED = "destroyed"
    ABSENT = "no stack"
    READ = "read"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL: frozenset[Status] = frozenset(Status) - {Status.QUEUED, Status.PREPARING, Status.RUNNING, Status.RETRYING}
RUNNING_DETAIL = {
    Operation.PREVIEW: "previewing",
    Operation.UP: "updating",
    Operation.DESTROY: "destroying",
    Operation.OUTPUTS: "reading outputs",
}


class Listener(Protocol):
    """Told every state change of every tenant, from worker threads."""

    def update(self, tenant_id: str, status: Status, detail: str = "") -> None: ...


class NullListener:
    def update(self, tenant_id: str, status: Status, detail: str = "") -> None:
        return None


class SecretCommand(Protocol):
    """What the orchestrator needs beyond ``PulumiCommand``: a command whose value arrives on stdin."""

    def run_with_input(self, args: list[str], cwd: str, additional_env: Mapping[str, str], stdin: str) -> Any: ...


class Cancelled(Exception):
    """Ctrl-C arrived while this tenant waited to retry."""


class StackNotOurs(Exception):
    """A stack config file exists for this name but was not written by the tenants provisioning."""


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of ``ConcurrentUpdateError``: ``attempts`` in all, waits doubling from ``base_delay``."""

    attempts: int = 5
    base_delay: float = 5.0
    max_delay: float = 60.0

    def delay(self, attempt: int) -> float:
        return float(min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


@dataclass
class TenantResult:
    tenant_id: str
    status: Status
    changes: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    log_path: Path | None = None
    attempts: int = 0
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.status is Status.FAILED


@dataclass
class RunReport:
    operation: Operation
    results: list[TenantResult]
    log_dir: Path
    interrupted: bool = False

    @property
    def failed(self) -> list[TenantResult]:
        return [result for result in self.results if result.failed]

    @property
    def exit_code(self) -> int:
        """1 if any tenant failed, 130 if Ctrl-C left some not run, else 0."""
        if self.failed:
            return 1
        return 130 if any(result.status is Status.CANCELLED for result in self.results) else 0


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


class Orchestrator:
    """Runs an ``Operation`` over tenant stacks; construct once per command, call ``run``."""

    def __init__(
        self,
        command: PulumiCommand,
        work_dir: Path,
        *,
        parallel: int = 4,
        env_vars: Mapping[str, str] | None = None,
        secrets_provider: str | None = None,
        log_dir: Path,
        listener: Listener | None = None,
        retry: RetryPolicy | None = None,
        wait_fn: Callable[[float], bool] | None = None,
        keep_logs: bool = False,
        remove_stacks: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if parallel < 1:
            raise ValueError("parallel must be at least 1")
        if not hasattr(command, "run_with_input"):
            raise TypeError("the command must offer run_with_input (StdinPulumiCommand) so secrets stay off argv")
        self.command = command
        self.work_dir = work_dir.resolve()
        self.parallel = parallel
        self.env_vars = dict(env_vars or {})
        self.secrets_provider = secrets_provider
        self.log_dir = log_dir
        self.listener: Listener = listener or NullListener()
        self.retry = retry or RetryPolicy()
        self.keep_logs = keep_logs
        self.remove_stacks = remove_stacks
        self._clock = clock
        self._stop = threading.Event()
        self._interrupts = 0
        self._wait_fn = wait_fn
        self._setup_lock = threading.Lock()

    # -- the run ---------------------------------------------------------------------------------------

    def run(
        self,
        operation: Operation,
        stacks: Sequence[TenantStack],
        secrets: Mapping[str, Mapping[str, Secret]] | None = None,
        *,
        stop: threading.Event | None = None,
    ) -> RunReport:
        """Every tenant's result, in the order given; never raises for one tenant's failure."""
        self._stop = stop or threading.Event()
        run_dir = self.log_dir / f"{operation.value}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}"
        for stack in stacks:
            self.listener.update(stack.name, Status.QUEUED)
        results: dict[str, TenantResult] = {}
        self._interrupts = 0
        restore = self._catch_sigint()
        try:
            with ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="tenant") as pool:
                futures: dict[Future[TenantResult], TenantStack] = {
                    pool.submit(self._one, operation, stack, (secrets or {}).get(stack.name, {}), run_dir): stack
                    for stack in stacks
                }
                pending = set(futures)
                while pending:
                    try:
                        done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                    except KeyboardInterrupt:  # a caller's own SIGINT handler may still raise it here
                        self._interrupt()
                        continue
                    for future in done:
                        results[futures[future].name] = future.result()
        finally:
            restore()
        report = RunReport(operation, [results[stack.name] for stack in stacks], run_dir)
        report.interrupted = self._interrupts > 0
        return report

    def _catch_sigint(self) -> Callable[[], None]:
        """In the main thread, Ctrl-C calls ``_interrupt`` instead of raising wherever the main thread happens to be."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        previous = signal.getsignal(signal.SIGINT)
        signal.signal(signal.SIGINT, lambda signum, frame: self._interrupt())
        return lambda: signal.signal(signal.SIGINT, previous)

    def _interrupt(self) -> None:
        """First Ctrl-C: start nothing new; second: ask the running commands to cancel."""
        self._interrupts += 1
        self._stop.set()
        notice = getattr(self.listener, "notice", None)
        if self._interrupts == 1:
            if notice is not None:
                notice("Ctrl-C: no new tenant starts; waiting for the running ones (Ctrl-C again cancels them)")
            return
        interrupt = getattr(self.command, "interrupt_running", None)
        if interrupt is not None:
            interrupt()
        if notice is not None:
            notice("Ctrl-C again: asking the running updates to cancel (Pulumi stops them cleanly)")

    def _one(
        self, operation: Operation, stack: TenantStack, secrets: Mapping[str, Secret], run_dir: Path
    ) -> TenantResult:
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

        self.listener.update(stack.name, Status.RUNNING, RUNNING_DETAIL[operation])
        if operation is Operation.UP:
            up = self._retrying(
                stack,
                result,
                lambda: handle.up(
                    color="never", on_output=echo, on_error=echo, show_secrets=False, suppress_progress=True
                ),
            )
            result.changes = dict(up.summary.resource_changes or {})
            result.outputs = {key: out.value for key, out in up.outputs.items() if not out.secret}
            result.status = _classify_up(result.changes, new_stack)
        elif operation is Operation.PREVIEW:
            preview = self._retrying(
                stack, result, lambda: handle.preview(color="never", on_output=echo, on_error=echo)
            )
            result.changes = dict(preview.change_summary or {})
            changed = sum(count for op, count in result.changes.items() if op != "same")
            result.status = Status.CHANGES if changed else Status.NO_CHANGES
        elif operation is Operation.DESTROY:
            destroyed = self._retrying(
                stack,
                result,
                lambda: handle.destroy(
                    color="never", on_output=echo, on_error=echo, show_secrets=False, remove=self.remove_stacks
                ),
            )
            result.changes = dict(destroyed.summary.resource_changes or {})
            result.status = Status.DESTROYED
        else:
            result.outputs = {key: out.value for key, out in handle.outputs().items() if not out.secret}
            result.status = Status.READ

    # -- steps -----------------------------------------------------------------------------------------

    def _workspace(self) -> LocalWorkspace:
        return LocalWorkspace(
            work_dir=str(self.work_dir),
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
        workspace = self._workspace()
        with self._setup_lock:
            existing = self._existing_config(workspace, stack.name)
            marker = f"{stack.project}:{TENANT_MARKER}"
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
                self.command.run_with_input(
                    ["config", "set", key, "--secret", "--stack", stack.name],
                    str(self.work_dir),
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

    def _retrying(self, stack: TenantStack, result: TenantResult, action: Callable[[], Any]) -> Any:
        attempt = 0
        while True:
            attempt += 1
            result.attempts = attempt
            try:
                return action()
            except ConcurrentUpdateError:
                if attempt >= self.retry.attempts:
                    raise
                delay = self.retry.delay(attempt)
                self.listener.update(
                    stack.name,
                    Status.RETRYING,
                    f"another update holds the stack; attempt {attempt + 1}/{self.retry.attempts} in {delay:.0f}s",
                )
                if self._sleep(delay):
                    raise Cancelled from None
                self.listener.update(stack.name, Status.RUNNING, "retrying")


__all__ = [
    "FINAL",
    "Listener",
    "NullListener",
    "Operation",
    "Orchestrator",
    "RetryPolicy",
    "RunReport",
    "Status",
    "TenantResult",
]
