"""Run one Pulumi operation over many tenant stacks: N at a time, one update per stack, nothing secret in argv.

A pool of ``parallel`` worker threads runs each tenant through a ``TenantRunner`` (``runner.py``: select the
stack, write its config, run the operation with retries, log it). Ctrl-C (SIGINT, caught while ``run`` is in the
main thread) stops starting new tenants and waits for running ones; a second Ctrl-C asks them to cancel. Each
tenant's CLI output goes to ``<log_dir>/<operation>-<time>/<tenant>.log``; the logs of tenants that failed are
kept, the others removed unless ``keep_logs``.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime
from pathlib import Path

from pulumi.automation import PulumiCommand

from infra.tenants.results import Listener, NullListener, Operation, RunReport, Status, TenantResult
from infra.tenants.retry import RetryPolicy
from infra.tenants.runner import TenantRunner
from infra.tenants.stacks import TenantStack
from shared.secrets import Secret


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
        tenant = self._runner()
        restore = self._catch_sigint()
        try:
            with ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="tenant") as pool:
                futures: dict[Future[TenantResult], TenantStack] = {
                    pool.submit(tenant.run, operation, stack, (secrets or {}).get(stack.name, {}), run_dir): stack
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

    def _runner(self) -> TenantRunner:
        """This run's per-tenant runner, bound to its stop event."""
        return TenantRunner(
            self.command,
            self.work_dir,
            env_vars=self.env_vars,
            secrets_provider=self.secrets_provider,
            listener=self.listener,
            retry=self.retry,
            stop=self._stop,
            wait_fn=self._wait_fn,
            setup_lock=self._setup_lock,
            keep_logs=self.keep_logs,
            remove_stacks=self.remove_stacks,
            clock=self._clock,
        )

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


__all__ = ["Orchestrator"]
