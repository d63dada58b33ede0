"""Retrying a stack operation while someone else updates that stack: ``ConcurrentUpdateError`` with back-off."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from pulumi.automation import ConcurrentUpdateError

from infra.tenants.results import Listener, Status, TenantResult

T = TypeVar("T")


class Cancelled(Exception):
    """Ctrl-C arrived while this tenant waited to retry."""


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of ``ConcurrentUpdateError``: ``attempts`` in all, waits doubling from ``base_delay``."""

    attempts: int = 5
    base_delay: float = 5.0
    max_delay: float = 60.0

    def delay(self, attempt: int) -> float:
        return float(min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


def run_with_retries(
    action: Callable[[], T],
    *,
    policy: RetryPolicy,
    tenant_id: str,
    result: TenantResult,
    listener: Listener,
    sleep: Callable[[float], bool],
) -> T:
    """``action()``, again after each ``ConcurrentUpdateError`` until ``policy.attempts`` are spent (then it raises).

    Counts the attempts in ``result.attempts`` and tells ``listener`` of each wait. ``sleep(seconds)`` waits and
    answers True when Ctrl-C came meanwhile, which raises ``Cancelled``.
    """
    attempt = 0
    while True:
        attempt += 1
        result.attempts = attempt
        try:
            return action()
        except ConcurrentUpdateError:
            if attempt >= policy.attempts:
                raise
            delay = policy.delay(attempt)
            listener.update(
                tenant_id,
                Status.RETRYING,
                f"another update holds the stack; attempt {attempt + 1}/{policy.attempts} in {delay:.0f}s",
            )
            if sleep(delay):
                raise Cancelled from None
            listener.update(tenant_id, Status.RUNNING, "retrying")


__all__ = ["Cancelled", "RetryPolicy", "run_with_retries"]
