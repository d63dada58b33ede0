"""Work the pre-call waits for at most a deadline, whatever the store does behind it.

A store's own timeouts bound each request, not the answer: a hung DynamoDB held a pre-call 3.9 s (two attempts),
a caller with thousands of memories took longer to rank than ElevenLabs waits (about 1.5 s), and a platform that
gets no answer in time starts the call without memory or not at all. The work runs in a small pool of reused
threads (a store's per-thread connections stay open) and the caller waits at most ``seconds``; late work cannot be
stopped, it finishes in the background and its result is dropped.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as NotYet
from typing import TypeVar

from shared.errors import StoreUnavailable

T = TypeVar("T")

# As many as the local server's request threads with a remote store (8); a deployed function runs one request at
# a time. A late read holds its thread until the store's own timeout ends it, and the next waits its turn.
POOL_THREADS = 8

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_pid = 0


def within(seconds: float, work: Callable[[], T]) -> T:
    """``work()``'s result, or ``StoreUnavailable`` once ``seconds`` have passed without it (its own errors are
    raised as they are)."""
    future: Future[T] = _executor().submit(work)
    try:
        return future.result(timeout=seconds)
    except NotYet:
        future.cancel()  # still queued behind late work: never run it
        raise StoreUnavailable(f"no answer within {seconds:g} s") from None


def _executor() -> ThreadPoolExecutor:
    """One pool per process: a forked child (the local server's worker) inherits the parent's pool object but none
    of its threads, and would wait on it for ever."""
    global _pool, _pool_pid
    with _lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(POOL_THREADS, thread_name_prefix="pre-call")
            _pool_pid = os.getpid()
        return _pool
