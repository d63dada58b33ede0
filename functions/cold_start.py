"""The runtime an entry point builds once per cold start and every warm invocation reuses."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from functions.standalone import Ports
from shared.http import Response
from shared.library_logs import quiet_libraries
from shared.runtime import Runtime, build_runtime
from shared.settings import Settings

log = logging.getLogger("agentic_memory.functions")

CloudPorts = Callable[..., Ports]  # a cloud's ``cloud_ports(environ, data_dir, *, memory_backend, read_timeout, ...)``


def runtime_from_ports(environ: Mapping[str, str], cloud_ports: CloudPorts, **port_options: Any) -> Runtime:
    """What every cloud entry builds: settings from the environment, that cloud's ports, then the core."""
    quiet_libraries()  # before the cloud clients are made and the stack's secret is read
    settings = Settings.from_environ(environ)
    ports = cloud_ports(
        environ,
        settings.data_dir,
        memory_backend=settings.memory_backend,
        read_timeout=settings.mem0_read_timeout,
        **port_options,
    )
    return build_runtime(
        settings,
        secrets=ports.secrets,
        archive=ports.archive,
        queue=ports.queue,
        store=ports.store,
        pending_archive=ports.pending_archive,
    )


class ColdStart:
    """Builds on first use (not at import, so a bad setting shows in the invocation's log) and keeps the result.

    A failed build is not kept: the next invocation tries again with the same clear ``ConfigError``.
    """

    def __init__(self, build: Callable[[], Runtime]) -> None:
        self._build = build
        self._runtime: Runtime | None = None
        self._lock = threading.Lock()

    def runtime(self) -> Runtime:
        if self._runtime is None:
            with self._lock:
                if self._runtime is None:
                    self._runtime = self._build()
        return self._runtime

    def runtime_or_503(self) -> Runtime | Response:
        """The runtime, or a JSON 503 when it cannot be built (a missing secret, the secret store or the database out
        of reach): every cloud's HTTP function answers the same. Left to the platform, the failure was, on Cloud
        Functions, logged as ``Exception on /admin/users/+15555550123/memories [DELETE]`` (the caller's whole number)
        with an HTML 500; on Lambda, an invocation error that API Gateway turns into a 500 that is not ours."""
        try:
            return self.runtime()
        except Exception:
            log.exception("the function could not start; answering 503 until it can (the next request tries again)")
            return Response.error(503, "service unavailable: the function could not start; retry")
