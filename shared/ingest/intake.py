"""The post-call endpoint's work: archive the raw body under the idempotency key, enqueue, answer at once."""

from __future__ import annotations

import logging
from typing import Any

from shared.clock import Clock, utc_now
from shared.errors import Unprocessable
from shared.identity import CallerIdentity
from shared.ingest.ports import Archive, ArchivedEvent, Queue
from shared.profile import AgentProfile
from shared.providers.base import PostCallEvent

log = logging.getLogger("agentic_memory.intake")


class PostCallIntake:
    def __init__(
        self, profile: AgentProfile, archive: Archive, queue: Queue, identity: CallerIdentity, *, clock: Clock = utc_now
    ) -> None:
        self._profile = profile
        self._archive = archive
        self._queue = queue
        self._identity = identity
        self._clock = clock

    def accept(self, event: PostCallEvent, body: bytes) -> dict[str, Any]:
        """Durable before it answers: a failure here propagates (5xx) so the platform may retry.

        A redelivered event is enqueued again; the worker's writes are idempotent, so it changes nothing, and
        an event whose first enqueue was lost still gets processed.
        """
        if not event.ingest:
            return {"status": "ignored", "event_type": event.event_type}
        user_ref = None
        if event.caller:
            try:
                user_ref = self._identity.user_ref(self._identity.user_id(event.caller))
            except Unprocessable:
                user_ref = None
        stored = self._archive.put_if_absent(
            ArchivedEvent(
                key=event.idempotency_key,
                body=body,
                received_at=self._clock(),
                agent_type=self._profile.name,
                user_ref=user_ref,
            )
        )
        if user_ref is None:
            log.info("post-call event %s archived without a caller id; nothing to remember", event.event_type)
            return {"status": "archived", "reason": "no caller id"}
        self._queue.enqueue(event.idempotency_key)
        return {"status": "queued" if stored else "duplicate"}
