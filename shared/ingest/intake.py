"""The post-call endpoint's work: archive the raw body under the idempotency key, enqueue, answer at once."""

from __future__ import annotations

import logging
from typing import Any

from shared.clock import Clock, utc_now
from shared.errors import StoreUnavailable, Unprocessable
from shared.identity import CallerIdentity
from shared.ingest.ports import Archive, ArchivedEvent, Queue
from shared.profile import AgentProfile
from shared.providers.base import PostCallEvent

log = logging.getLogger("agentic_memory.intake")

# The idempotency key names the archived body's object: S3 and Cloud Storage take names of at most 1,024 bytes (with
# the archive prefix), Cloud Storage none with a carriage return or line feed. A longer key was taken by serve (whose
# files are named by its hash) and answered 503 on every retry by a deployed stack.
MAX_KEY_BYTES = 512
_CONTROL = frozenset(chr(code) for code in (*range(0x20), 0x7F))


def check_key(event: PostCallEvent) -> None:
    """Raises ``Unprocessable`` for an event to remember whose key (its call id) no archive could name an object by."""
    key = event.idempotency_key
    if event.ingest and (len(key.encode("utf-8")) > MAX_KEY_BYTES or not _CONTROL.isdisjoint(key)):
        raise Unprocessable(f"the call id must be at most {MAX_KEY_BYTES} bytes without control characters")


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
        check_key(event)
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
        try:
            self._queue.enqueue(event.idempotency_key)
        except StoreUnavailable as exc:  # answered 503; a platform that does not retry would leave it here for good
            log.error(
                "post-call event %s archived but not queued (%s); a redelivery queues it, else run replay",
                event.event_type,
                exc,
            )
            raise
        return {"status": "queued" if stored else "duplicate"}
