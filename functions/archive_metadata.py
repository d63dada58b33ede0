"""Object metadata of an archived event, the same on S3 and Cloud Storage: agent type, user ref, receive time.

Only the keyed-hash ``user_ref`` goes into metadata (erasure finds a caller's events by it), never a phone
number: object metadata is visible to anyone who may list the bucket.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from shared.ingest.ports import ArchivedEvent, ArchiveEntry

AGENT_TYPE = "agent-type"
USER_REF = "user-ref"
RECEIVED_AT = "received-at"
EPOCH = datetime.fromtimestamp(0, UTC)


def to_metadata(event: ArchivedEvent) -> dict[str, str]:
    metadata = {AGENT_TYPE: event.agent_type, RECEIVED_AT: event.received_at.isoformat()}
    if event.user_ref:
        metadata[USER_REF] = event.user_ref
    return metadata


def to_entry(key: str, metadata: Mapping[str, str], stored_at: datetime | None) -> ArchiveEntry:
    """The listing entry; an object written by hand without metadata falls back to its storage time."""
    stamp = metadata.get(RECEIVED_AT)
    try:
        received_at = datetime.fromisoformat(stamp) if stamp else (stored_at or EPOCH)
    except ValueError:
        received_at = stored_at or EPOCH
    return ArchiveEntry(key, received_at, metadata.get(AGENT_TYPE, ""), metadata.get(USER_REF) or None)


def with_body(entry: ArchiveEntry, body: bytes) -> ArchivedEvent:
    return ArchivedEvent(entry.key, body, entry.received_at, entry.agent_type, entry.user_ref)
