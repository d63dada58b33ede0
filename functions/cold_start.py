"""The runtime an entry point builds once per cold start and every warm invocation reuses."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.runtime import Runtime


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
