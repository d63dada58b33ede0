"""The retention sweep: delete memories past ``expires_at`` and archived events past the archive retention.

Memories carry their own ``expires_at`` (set from the agent type's ``retention_days`` when written) and are
never returned once it has passed, on every backend; the sweep deletes them for good. Archived post-call
bodies are kept ``memory.archive_retention_days`` days (default: the longest memory retention of the agent
type, since replaying an older event could not add anything) after they were received. The sweep only
touches this agent type's archived events. Running it twice deletes nothing the second time.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import timedelta

from shared.clock import Clock, utc_now
from shared.config.models import MemoryConfig
from shared.ingest.ports import Archive
from shared.memory.store import MemoryStore

log = logging.getLogger("agentic_memory.retention")


@dataclass(frozen=True)
class SweepReport:
    memories: int
    archived_events: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


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
        cutoff = now - timedelta(days=self._config.archive_retention())
        expired = [
            entry.key
            for entry in self._archive.entries()
            if entry.agent_type == self._agent_type and entry.received_at <= cutoff
        ]
        for key in expired:
            self._archive.delete(key)
        report = SweepReport(memories=memories, archived_events=len(expired))
        log.info("retention sweep deleted %d memories and %d archived events", report.memories, report.archived_events)
        return report
