"""The worker: an archived post-call event becomes memories. Raises on failure so the queue retries."""

from __future__ import annotations

import json
import logging

from shared.errors import NotFound
from shared.ingest.ports import Archive
from shared.profile import AgentProfile
from shared.service import MemoryService

log = logging.getLogger("agentic_memory.worker")


class IngestWorker:
    def __init__(self, profile: AgentProfile, archive: Archive, service: MemoryService) -> None:
        self._profile = profile
        self._archive = archive
        self._service = service

    def process(self, key: str) -> int:
        """Returns how many memories were new; 0 for an event erased since it was queued."""
        try:
            archived = self._archive.get(key)
        except NotFound:
            log.info("archived event no longer exists (erased); skipping")
            return 0
        payload = json.loads(archived.body)
        event = self._profile.provider.parse_post_call(
            payload, self._profile.fields["post_call"], self._profile.webhooks.ingest_events
        )
        return self._service.remember(event, received_at=archived.received_at)
