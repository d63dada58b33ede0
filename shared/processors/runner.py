"""Running the enabled processors: post-call in order, failures fail the event; pre-call under a time budget.

A pre-call processor runs in a daemon thread of its own; the answer waits for it at most what is left of the
agent type's budget. One that is slower, raises, or returns something else is skipped and logged (its name and
the error type only), and the answer goes out with what the others made. A thread cannot be stopped: a late
processor finishes in the background (its result unused), and while ``MAX_LATE`` of them are still running, the
pre-call processors are skipped at once rather than start more threads.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from shared.memory.models import Memory
from shared.processors.base import PostCall, PreCall, ProcessorFailed
from shared.providers.base import CallerContext

if TYPE_CHECKING:
    from shared.config.models import AgentType

log = logging.getLogger("agentic_memory.processors")

MAX_LATE = 8


class Processors:
    def __init__(self, agent_type: str, instances: Mapping[str, Any]) -> None:
        self._agent_type = agent_type
        self._instances = dict(instances)
        self._late: list[threading.Thread] = []
        self._lock = threading.Lock()

    def post_call(
        self, config: AgentType, *, user_id: str, event: Any, memories: list[Memory], build: Callable[..., Memory]
    ) -> list[Memory]:
        """The memories to store after every enabled post-call processor. Raises ``ProcessorFailed``."""
        for name in config.processors.post_call:
            call = PostCall(name, self._agent_type, user_id, event, list(memories), tuple(config.memory.types), build)
            try:
                result = self._instances[name].post_call(call)
                memories = _checked(result, user_id, self._agent_type)
            except Exception as exc:
                log.warning("post-call processor %s failed (%s); the event will be retried", name, type(exc).__name__)
                raise ProcessorFailed(f"post-call processor {name!r} failed") from exc
        return memories

    def pre_call(self, config: AgentType, context: CallerContext, memories: Sequence[Memory]) -> CallerContext:
        """The context after the enabled pre-call processors that finished within the budget."""
        names = config.processors.pre_call
        if not names:
            return context
        deadline = time.monotonic() + config.processors.pre_call_budget_ms / 1000
        for name in names:
            left = deadline - time.monotonic()
            if left <= 0:
                log.warning("pre-call processor %s skipped: the budget is spent", name)
                continue
            if self._too_many_late():
                log.warning("pre-call processor %s skipped: %d late ones are still running", name, MAX_LATE)
                continue
            outcome: dict[str, Any] = {}
            call = PreCall(name, self._agent_type, context, memories)
            thread = threading.Thread(
                target=_run, args=(self._instances[name].pre_call, call, outcome), name=f"pre-call-{name}", daemon=True
            )
            thread.start()
            thread.join(left)
            if thread.is_alive():
                with self._lock:
                    self._late.append(thread)
                log.warning("pre-call processor %s skipped: slower than the budget", name)
                continue
            if "error" in outcome:
                log.warning("pre-call processor %s skipped: it failed (%s)", name, outcome["error"])
                continue
            result = outcome.get("result")
            if not isinstance(result, CallerContext):
                log.warning("pre-call processor %s skipped: it returned %s", name, type(result).__name__)
                continue
            context = replace(result, caller_id=context.caller_id, user_id=context.user_id, variant=context.variant)
        return context

    def _too_many_late(self) -> bool:
        with self._lock:
            self._late = [thread for thread in self._late if thread.is_alive()]
            return len(self._late) >= MAX_LATE


def _run(method: Callable[[PreCall], Any], call: PreCall, outcome: dict[str, Any]) -> None:
    try:
        outcome["result"] = method(call)
    except Exception as exc:  # reported by the caller of the thread, by type only
        outcome["error"] = type(exc).__name__


def _checked(result: Any, user_id: str, agent_type: str) -> list[Memory]:
    """A processor's result, refused unless it is memories of this caller and agent type."""
    memories = list(result)
    for memory in memories:
        if not isinstance(memory, Memory):
            raise TypeError(f"a post-call processor returned {type(memory).__name__}, not a Memory")
        if memory.user_id != user_id or memory.agent_type != agent_type:
            raise ValueError("a post-call processor returned a memory of another caller or agent type")
    return memories
