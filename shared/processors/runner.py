"""Running the enabled processors: post-call in order, failures fail the event; pre-call under a time budget.

Each processor runs in a daemon thread of its own. A pre-call one is waited for at most what is left of the agent
type's budget; one that is slower, raises, or returns something else (not a context, or a variable that is not
text) is skipped and logged (its name and the error type only), and the answer goes out with what the others
made. It works on a copy, so a skipped one changes nothing, and the variables it declares (``variables``) are
still sent, empty: a platform refuses a conversation whose prompt names a missing variable. A post-call one that
takes longer than ``post_call_timeout_s`` fails the event (retried, then dead-lettered) instead of holding the
worker. A thread cannot be stopped: a late processor finishes in the background (its result unused), and while
``MAX_LATE`` of its threads are still running, that processor alone is skipped at once rather than start more.
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
        self._late: dict[str, list[threading.Thread]] = {}
        self._lock = threading.Lock()

    def post_call(
        self, config: AgentType, *, user_id: str, event: Any, memories: list[Memory], build: Callable[..., Memory]
    ) -> list[Memory]:
        """The memories to store after every enabled post-call processor. Raises ``ProcessorFailed``."""
        timeout = config.processors.post_call_timeout_s
        for name in config.processors.post_call:
            call = PostCall(name, self._agent_type, user_id, event, list(memories), tuple(config.memory.types), build)
            if self._too_many_late(name):
                log.warning("post-call processor %s not run: %d late ones are still running", name, MAX_LATE)
                raise ProcessorFailed(f"post-call processor {name!r} is still running on earlier events")
            outcome = self._in_thread(name, self._instances[name].post_call, call, timeout)
            try:
                if outcome is None:
                    raise TimeoutError(f"slower than {timeout} s")
                if "error" in outcome:
                    raise outcome["error"]
                memories = _checked(outcome.get("result"), user_id, self._agent_type)
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
            if self._too_many_late(name):
                log.warning("pre-call processor %s skipped: %d late ones are still running", name, MAX_LATE)
                continue
            call = PreCall(name, self._agent_type, replace(context, fields=dict(context.fields)), memories)
            outcome = self._in_thread(name, self._instances[name].pre_call, call, left)
            if outcome is None:
                log.warning("pre-call processor %s skipped: slower than the budget", name)
                continue
            if "error" in outcome:
                log.warning("pre-call processor %s skipped: it failed (%s)", name, type(outcome["error"]).__name__)
                continue
            result = outcome.get("result")
            wrong = _not_a_context(result)
            if wrong or not isinstance(result, CallerContext):
                log.warning("pre-call processor %s skipped: it returned %s", name, wrong)
                continue
            context = replace(
                result,
                fields=dict(result.fields),
                caller_id=context.caller_id,
                user_id=context.user_id,
                variant=context.variant,
            )
        declared = [variable for name in names for variable in _declared(self._instances[name])]
        missing = {variable: "" for variable in declared if variable not in context.fields}
        return replace(context, fields={**context.fields, **missing}) if missing else context

    def _in_thread(self, name: str, method: Callable[[Any], Any], call: Any, timeout: float) -> dict[str, Any] | None:
        """The processor's result or error; None when it is still running after ``timeout`` seconds."""
        outcome: dict[str, Any] = {}
        thread = threading.Thread(target=_run, args=(method, call, outcome), name=f"processor-{name}", daemon=True)
        thread.start()
        thread.join(timeout)
        if thread.is_alive():
            with self._lock:
                self._late.setdefault(name, []).append(thread)
            return None
        return outcome

    def _too_many_late(self, name: str) -> bool:
        with self._lock:
            running = [thread for thread in self._late.get(name, []) if thread.is_alive()]
            self._late[name] = running
            return len(running) >= MAX_LATE


def _run(method: Callable[[Any], Any], call: Any, outcome: dict[str, Any]) -> None:
    try:
        outcome["result"] = method(call)
    except Exception as exc:  # reported by the caller of the thread, by type only
        outcome["error"] = exc


def _declared(processor: Any) -> tuple[str, ...]:
    """The variables a pre-call processor sets (its optional ``variables`` attribute)."""
    variables = getattr(processor, "variables", ())
    if isinstance(variables, str):
        return (variables,)
    return tuple(v for v in variables if isinstance(v, str)) if isinstance(variables, list | tuple) else ()


def _not_a_context(result: Any) -> str | None:
    """What is wrong with a pre-call processor's result, by type only; None when the answer can be sent."""
    if not isinstance(result, CallerContext):
        return type(result).__name__
    if not isinstance(result.fields, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in result.fields.items()
    ):
        return "a variable that is not text"
    if not all(isinstance(text, str) for text in (result.summary, result.context, result.first_message)):
        return "a summary, context or first message that is not text"
    if not isinstance(result.returning, bool) or not all(
        isinstance(count, int) for count in (result.memory_count, result.call_count)
    ):
        return "counts that are not numbers"
    return None


def _checked(result: Any, user_id: str, agent_type: str) -> list[Memory]:
    """A processor's result, refused unless it is memories of this caller and agent type."""
    memories = list(result)
    for memory in memories:
        if not isinstance(memory, Memory):
            raise TypeError(f"a post-call processor returned {type(memory).__name__}, not a Memory")
        if memory.user_id != user_id or memory.agent_type != agent_type:
            raise ValueError("a post-call processor returned a memory of another caller or agent type")
    return memories
