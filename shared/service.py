"""The cloud-neutral memory service: answer before a call, search during it, remember after it."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from shared.analytics.outcomes import VARIANT, call_outcomes
from shared.clock import Clock, utc_now
from shared.config.models import AgentType
from shared.context import caller_context, unknown_caller_context
from shared.deadline import within
from shared.errors import ConfigError, StoreUnavailable, failure
from shared.experiments.plan import Assignment, ExperimentPlan
from shared.identity import CallerIdentity
from shared.memory.auto_extract import extract
from shared.memory.from_call import MAX_TEXT, memories_from_call, memory_id
from shared.memory.manager import MemoryManager
from shared.memory.models import Memory
from shared.processors.runner import Processors
from shared.profile import AgentProfile
from shared.providers.base import (
    CallerContext,
    PlatformEcho,
    PostCallEvent,
    PreCallRequest,
    ToolAnswer,
    ToolRequest,
)

log = logging.getLogger("agentic_memory.service")


class MemoryService:
    def __init__(
        self,
        profile: AgentProfile,
        manager: MemoryManager,
        identity: CallerIdentity,
        *,
        clock: Clock = utc_now,
        plan: ExperimentPlan | None = None,
        processors: Processors | None = None,
    ) -> None:
        self.profile = profile
        self.manager = manager
        self.identity = identity
        self._clock = clock
        self.plan = plan or ExperimentPlan(profile.name, profile.config, None)
        self.processors = processors or Processors(profile.name, {})

    def for_operators(self) -> MemoryService:
        """The same service, for the console's previews: a caller may be named by the stored pseudonym too
        (``CallerIdentity.for_operators``)."""
        return MemoryService(
            self.profile,
            self.manager,
            self.identity.for_operators(),
            clock=self._clock,
            plan=self.plan,
            processors=self.processors,
        )

    def assignment(self, user_id: str | None) -> Assignment:
        """The caller's variants and the settings they run with (the agent type's own without experiments)."""
        return self.plan.for_user(user_id)

    def settings_for(self, context: CallerContext) -> AgentType:
        """The settings a pre-call answer is formatted with: the caller's variant's."""
        return self.assignment(context.user_id).config

    def _manager(self, config: AgentType) -> MemoryManager:
        if config.memory == self.manager.config:
            return self.manager
        return MemoryManager(self.manager.store, self.manager.agent_type, config.memory, clock=self._clock)

    def pre_call(self, request: PreCallRequest) -> CallerContext:
        """Never fails for a store outage nor for a caller nothing identifies: the platform gets a valid new-caller
        answer instead of a delay or an error (which would end the call before it starts)."""
        caller_id = self.identity.identify(request.caller)
        if caller_id is None:  # no memory read, no variant (there is no caller to keep it sticky for)
            log.info("pre-call from a caller without a usable number or id; answering as an unknown caller")
            config = self.assignment(None).config
            return self.processors.pre_call(config, unknown_caller_context(config), [])
        user_id = self.identity.user_id(caller_id)
        assignment = self.assignment(user_id)
        config = assignment.config

        def answer() -> tuple[list[Memory], CallerContext]:
            memories = self.manager.before_call(user_id)
            fields = extract(config.memory.auto_extract, memories)
            return memories, caller_context(
                config, caller_id=caller_id, user_id=user_id, memories=memories, fields=fields
            )

        try:
            memories, context = (
                within(self.pre_call_deadline(config), answer) if self.manager.store.reads_over_network else answer()
            )
        except Exception as exc:  # an outage, a store too slow, or memories no answer can be made from: the call starts
            self._unanswered("before a call from", user_id, exc)
            memories, fields = [], {name: "" for name in config.memory.auto_extract}
            context = caller_context(
                config, caller_id=caller_id, user_id=user_id, memories=[], fields=fields, degraded=True
            )
        return self.processors.pre_call(config, replace(context, variant=assignment.label), memories)

    def pre_call_deadline(self, config: AgentType) -> float:
        """Seconds the pre-call's memory work may take before the answer goes out as a degraded new caller's."""
        return (config.response.deadline_ms or self.profile.pre_call_deadline_ms) / 1000

    def _unanswered(self, when: str, user_id: str, exc: Exception) -> None:
        """A store outage is a WARNING with its fixed message; anything else is a bug or damaged data: an ERROR
        naming the type only (its message may quote what it failed on)."""
        if isinstance(exc, StoreUnavailable):
            log.warning("memory store unavailable %s %s (%s); answered without memories", when, self._ref(user_id), exc)
        else:
            log.error("memories unreadable %s %s (%s); answered without them", when, self._ref(user_id), failure(exc))

    def search(self, request: ToolRequest) -> list[ToolAnswer]:
        """One answer per tool call; a caller nothing identifies gets "no memories" for each, never an error."""
        caller_id = self.identity.identify(request.caller)
        if caller_id is None:
            log.info("tool call from a caller without a usable number or id; answering without memories")
            return [ToolAnswer(call=call, matches=[], caller_known=False) for call in request.calls]
        user_id = self.identity.user_id(caller_id)
        manager = self._manager(self.assignment(user_id).config)
        answers = []
        for call in request.calls:
            try:
                matches = manager.search(user_id, call.query) if call.asks else []
            except Exception as exc:  # the tool still answers, in the platform's format: "unavailable"
                self._unanswered("during a tool call for", user_id, exc)
                answers.append(ToolAnswer(call=call, matches=[], unavailable=True))
                continue
            answers.append(ToolAnswer(call=call, matches=matches))
        return answers

    def remember(
        self, event: PostCallEvent, *, received_at: datetime | None = None, echo: PlatformEcho | None = None
    ) -> int:
        """Turn an ingested post-call event into memories; returns how many were new.

        Every memory carries the caller's variant and the call's outcomes (``echo``: what the platform repeats of
        our answers), so analytics can compare variants from the memories alone.
        """
        caller_id = self.identity.identify(event.caller) if event.ingest else None
        if caller_id is None:  # never one shared memory for every withheld caller
            return 0
        user_id = self.identity.user_id(caller_id)
        assignment = self.assignment(user_id)
        manager = self._manager(assignment.config)
        when = received_at or self._clock()
        event = event.received(when)
        memories = memories_from_call(event, user_id, manager, received_at=when)
        recorded: dict[str, Any] = call_outcomes(echo or PlatformEcho())
        if assignment.variants:
            recorded[VARIANT] = assignment.label
        memories = [replace(m, metadata={**m.metadata, **recorded}) for m in memories]

        def build(*, part: str, type: str, text: str, metadata: dict[str, Any]) -> Memory:
            common = {"event": event.idempotency_key, **recorded}
            if event.conversation_id:
                common["conversation_id"] = event.conversation_id
            return manager.build(
                id=memory_id(manager.agent_type, event.idempotency_key, part),
                user_id=user_id,
                type=type,
                text=text[:MAX_TEXT],
                created_at=event.occurred_at or when,
                conversation_id=event.conversation_id,
                metadata={**common, **metadata},
            )

        memories = self.processors.post_call(
            assignment.config, user_id=user_id, event=event, memories=memories, build=build
        )
        added = manager.add(memories)
        log.info("remembered %d new of %d memories for %s", added, len(memories), self._ref(user_id))
        return added

    def _ref(self, user_id: str) -> str:
        """How a log line names a caller: their keyed reference (what archive metadata and erase jobs carry)."""
        try:
            return "caller " + self.identity.user_ref(user_id)
        except ConfigError:  # an identity built without the stack's key (a bare test service): name no one
            return "a caller"
