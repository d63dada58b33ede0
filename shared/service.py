"""The cloud-neutral memory service: answer before a call, search during it, remember after it."""

from __future__ import annotations

import logging
from datetime import datetime

from shared.clock import Clock, utc_now
from shared.context import caller_context, unknown_caller_context
from shared.errors import StoreUnavailable
from shared.identity import CallerIdentity, mask
from shared.memory.auto_extract import extract
from shared.memory.from_call import memories_from_call
from shared.memory.manager import MemoryManager
from shared.profile import AgentProfile
from shared.providers.base import CallerContext, PostCallEvent, PreCallRequest, ToolAnswer, ToolRequest

log = logging.getLogger("agentic_memory.service")


class MemoryService:
    def __init__(
        self, profile: AgentProfile, manager: MemoryManager, identity: CallerIdentity, *, clock: Clock = utc_now
    ) -> None:
        self.profile = profile
        self.manager = manager
        self.identity = identity
        self._clock = clock

    def pre_call(self, request: PreCallRequest) -> CallerContext:
        """Never fails for a store outage nor for a caller nothing identifies: the platform gets a valid new-caller
        answer instead of a delay or an error (which would end the call before it starts)."""
        config = self.profile.config
        caller_id = self.identity.identify(request.caller)
        if caller_id is None:
            log.info("pre-call from a caller without a usable number or id; answering as an unknown caller")
            return unknown_caller_context(config)
        user_id = self.identity.user_id(caller_id)
        try:
            memories = self.manager.recent(user_id)
        except StoreUnavailable:
            log.warning("memory store unavailable before a call from %s; answering as a new caller", mask(caller_id))
            fields = {name: "" for name in config.memory.auto_extract}
            return caller_context(
                config, caller_id=caller_id, user_id=user_id, memories=[], fields=fields, degraded=True
            )
        fields = extract(config.memory.auto_extract, memories)
        return caller_context(config, caller_id=caller_id, user_id=user_id, memories=memories, fields=fields)

    def search(self, request: ToolRequest) -> list[ToolAnswer]:
        """One answer per tool call; a caller nothing identifies gets "no memories" for each, never an error."""
        caller_id = self.identity.identify(request.caller)
        if caller_id is None:
            log.info("tool call from a caller without a usable number or id; answering without memories")
            return [ToolAnswer(call=call, matches=[], caller_known=False) for call in request.calls]
        user_id = self.identity.user_id(caller_id)
        answers = []
        for call in request.calls:
            try:
                matches = self.manager.search(user_id, call.query) if call.query.strip() else []
            except StoreUnavailable:
                log.warning("memory store unavailable during a tool call for %s", mask(user_id))
                matches = []
            answers.append(ToolAnswer(call=call, matches=matches))
        return answers

    def remember(self, event: PostCallEvent, *, received_at: datetime | None = None) -> int:
        """Turn an ingested post-call event into memories; returns how many were new."""
        caller_id = self.identity.identify(event.caller) if event.ingest else None
        if caller_id is None:  # never one shared memory for every withheld caller
            return 0
        user_id = self.identity.user_id(caller_id)
        memories = memories_from_call(event, user_id, self.manager, received_at=received_at or self._clock())
        added = self.manager.add(memories)
        log.info("remembered %d new of %d memories for %s", added, len(memories), mask(user_id))
        return added
