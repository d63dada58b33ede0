"""The cloud-neutral memory service: answer before a call, search during it, remember after it."""

from __future__ import annotations

import logging
from datetime import datetime

from shared.clock import Clock, utc_now
from shared.context import caller_context
from shared.errors import ConfigError, StoreUnavailable, Unprocessable
from shared.identity import CallerIdentity
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
        """Never fails for a store outage: the platform gets a valid new-caller answer instead of a delay."""
        if not request.caller:
            raise Unprocessable("missing field: caller_id")
        caller_id = self.identity.caller_id(request.caller)
        user_id = self.identity.user_id(request.caller)
        config = self.profile.config
        try:
            memories = self.manager.recent(user_id)
        except StoreUnavailable:
            log.warning("memory store unavailable before a call from %s; answering as a new caller", self._ref(user_id))
            fields = {name: "" for name in config.memory.auto_extract}
            return caller_context(
                config, caller_id=caller_id, user_id=user_id, memories=[], fields=fields, degraded=True
            )
        fields = extract(config.memory.auto_extract, memories)
        return caller_context(config, caller_id=caller_id, user_id=user_id, memories=memories, fields=fields)

    def search(self, request: ToolRequest) -> list[ToolAnswer]:
        if not request.caller:
            raise Unprocessable("missing field: user_id")
        user_id = self.identity.user_id(request.caller)
        answers = []
        for call in request.calls:
            try:
                matches = self.manager.search(user_id, call.query) if call.query.strip() else []
            except StoreUnavailable:
                log.warning("memory store unavailable during a tool call for %s", self._ref(user_id))
                matches = []
            answers.append(ToolAnswer(call=call, matches=matches))
        return answers

    def remember(self, event: PostCallEvent, *, received_at: datetime | None = None) -> int:
        """Turn an ingested post-call event into memories; returns how many were new."""
        if not event.ingest or not event.caller:
            return 0
        user_id = self.identity.user_id(event.caller)
        memories = memories_from_call(event, user_id, self.manager, received_at=received_at or self._clock())
        added = self.manager.add(memories)
        log.info("remembered %d new of %d memories for %s", added, len(memories), self._ref(user_id))
        return added

    def _ref(self, user_id: str) -> str:
        """How a log line names a caller: their keyed reference (what archive metadata and erase jobs carry)."""
        try:
            return "caller " + self.identity.user_ref(user_id)
        except ConfigError:  # an identity built without the stack's key (a bare test service): name no one
            return "a caller"
