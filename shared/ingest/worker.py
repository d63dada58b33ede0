"""The worker: an archived post-call event becomes memories; an erase job finishes a caller's erasure.

Raises on failure so the queue retries (then dead-letters). Erase jobs exist where the HTTP function may not
list or delete archived events (a deployed bucket): it erases the memories at once, archives the request
(the user id) under an ``erase/<user ref>/<request id>`` key and queues that key; the worker does the rest.
"""

from __future__ import annotations

import json
import logging

from shared.errors import ConfigError, NotFound
from shared.ingest.erasures import ERASED_PREFIX, forgotten, record_erasure
from shared.ingest.ports import ERASE_PREFIX, Archive, EraseJob, KeyedQueue, Queue, parse_erase_job
from shared.profile import AgentProfile
from shared.providers.base import PostCallEvent
from shared.service import MemoryService

log = logging.getLogger("agentic_memory.worker")


class IngestWorker:
    def __init__(
        self, profile: AgentProfile, archive: Archive, service: MemoryService, queue: Queue | None = None
    ) -> None:
        """Raises ``ConfigError`` for an ingested event type that could take the erase jobs' reserved key prefix."""
        reserved = (ERASE_PREFIX, ERASED_PREFIX)
        clashing = [name for name in profile.webhooks.ingest_events if name.startswith(reserved)]
        if clashing:
            raise ConfigError(
                f"agent type {profile.name!r}: ingest event types may not start with {ERASE_PREFIX!r} or "
                f"{ERASED_PREFIX!r} (reserved for erasures)"
            )
        self._profile = profile
        self._archive = archive
        self._service = service
        self._queue = queue

    def process(self, key: str) -> int:
        """Returns how many memories were new; 0 for an event erased since it was queued, and for an erase job."""
        job = parse_erase_job(key)
        if job is not None:
            self.erase(job)
            return 0
        try:
            archived = self._archive.get(key)
        except NotFound:
            log.info("archived event no longer exists (erased, or past the archive's retention); skipping")
            return 0
        payload = json.loads(archived.body)
        profile = self._profile
        provider = profile.provider
        event = provider.parse_post_call(payload, profile.fields["post_call"], profile.webhooks.ingest_events)
        event = event.received(archived.received_at)
        echo = provider.echo(payload) if event.ingest else None
        caller = self._caller(event)
        if caller is not None and forgotten(self._archive, caller[1], key, event.occurred_at, archived.received_at):
            self._forget(key)  # a late retry of an erased caller's call: neither remembered nor kept
            log.info("post-call event of a caller erased since the call; skipping")
            return 0
        added = self._service.remember(event, received_at=archived.received_at, echo=echo)
        if caller is not None and forgotten(self._archive, caller[1], key, event.occurred_at, archived.received_at):
            user_id, ref = caller  # erased while this event was being written: what it wrote goes too
            self._service.manager.store.erase_user(user_id)
            self._forget(key)
            log.info("caller %s was erased while their post-call event was written; erased again", ref)
            return 0
        return added

    def _caller(self, event: PostCallEvent) -> tuple[str, str] | None:
        """The caller's user id and keyed reference, when the event is remembered under one."""
        identity = self._service.identity
        caller_id = identity.identify(event.caller) if event.ingest else None
        if caller_id is None:
            return None
        user_id = identity.user_id(caller_id)
        return user_id, identity.user_ref(user_id)

    def _forget(self, key: str) -> None:
        """An erased caller's event goes from the archive and, where the queue keeps rows by key (locally), from
        the queue too: a row left "done" would keep the call id for a day after the erasure."""
        self._archive.purge(key)
        if isinstance(self._queue, KeyedQueue):
            self._queue.remove(key)

    def erase(self, job: EraseJob) -> None:
        """Every version of the caller's archived events, then their memories again (what an event processed in
        between wrote goes too), then the request. Each step is idempotent: a retried job finishes the rest."""
        try:
            request = self._archive.get(job.key)
        except NotFound:
            log.info("erase job already done; skipping")
            return
        user_id = request.body.decode("utf-8")
        if self._service.identity.user_ref(user_id) != job.user_ref:
            raise ValueError("erase request does not match its job key")
        record_erasure(self._archive, job.user_ref, request.received_at, request.agent_type)
        events = self._archive.erase_user(*self._service.identity.user_refs(user_id))
        record_erasure(self._archive, job.user_ref, request.received_at, request.agent_type, events)
        memories = self._service.manager.store.erase_user(user_id)
        self._archive.purge(job.key)
        log.info("erase job for caller %s: %d archived events, %d memories", job.user_ref, len(events), memories)
