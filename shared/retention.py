"""The retention sweep: delete memories past ``expires_at`` and archived events past the archive retention.

Memories carry their own ``expires_at`` (set from the agent type's ``retention_days`` when written) and are
never returned once it has passed, on every backend; the sweep deletes them for good. Archived post-call
bodies are kept ``memory.archive_retention_days`` days (default: the longest memory retention of the agent
type, since replaying an older event could not add anything) after they were received. An erasure record (what
keeps an erased caller from coming back: ``shared.ingest.erasures``) is kept at least as long as the longest memory
retention, even when ``archive_retention_days`` is shorter: a memory of a call before the erasure, in an export read
back by ``memories import``, could live that long. The sweep only touches this agent type's archived events.
Running it twice deletes nothing the second time.

A deployed archive is a bucket whose lifecycle rule (the stack's ``archiveRetentionDays``) expires events,
and the sweeper function may not list it (least privilege): there the sweep leaves the archive to the
lifecycle rule and says so (``archive_lifecycle_managed``) instead of failing on a listing it is denied.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from shared.clock import Clock, utc_now
from shared.config.models import MemoryConfig
from shared.ingest.erasures import ERASED_PREFIX
from shared.ingest.ports import Archive
from shared.memory.store import MemoryStore

log = logging.getLogger("agentic_memory.retention")


@dataclass(frozen=True)
class SweepReport:
    memories: int
    archived_events: int
    archive_lifecycle_managed: bool = False

    def as_dict(self) -> dict[str, int]:
        """``archive_lifecycle_managed`` (true) appears only when the bucket's lifecycle, not the sweep, expires
        archived events: ``archived_events`` is then 0 because the sweep did not look, not because none were old."""
        report = {"memories": self.memories, "archived_events": self.archived_events}
        if self.archive_lifecycle_managed:
            report["archive_lifecycle_managed"] = True
        return report


class RetentionSweeper:
    def __init__(
        self, store: MemoryStore, archive: Archive, agent_type: str, config: MemoryConfig, *, clock: Clock = utc_now
    ) -> None:
        self._store = store
        self._archive = archive
        self._agent_type = agent_type
        self._config = config
        self._clock = clock

    def run(self) -> SweepReport:
        now = self._clock()
        memories = self._store.delete_expired(now)
        if memories:
            self._store.compact()
        if self._archive.lifecycle_managed:
            log.info("retention sweep deleted %d memories; archived events expire by the bucket lifecycle", memories)
            return SweepReport(memories=memories, archived_events=0, archive_lifecycle_managed=True)
        cutoff = now - timedelta(days=self._config.archive_retention())
        records_cutoff = now - timedelta(days=self._config.erasure_retention())
        expired = [
            entry.key
            for entry in self._archive.entries()
            if entry.agent_type == self._agent_type
            and entry.received_at <= (records_cutoff if entry.key.startswith(ERASED_PREFIX) else cutoff)
        ]
        for key in expired:
            self._archive.delete(key)
        report = SweepReport(memories=memories, archived_events=len(expired))
        log.info("retention sweep deleted %d memories and %d archived events", report.memories, report.archived_events)
        return report
