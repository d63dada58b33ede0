"""What an erasure leaves behind: when it happened and which events it erased, under the caller's keyed reference,
so that no call from before it is ever remembered again.

Erasure removes a caller's archived events, so a platform resending one of their old calls afterwards (a late
retry, a replay) would otherwise look new and bring the caller back. The worker asks ``forgotten`` before it writes
and again after (an erasure that ran while it wrote). The record holds the time and hashes of the erased events'
keys, nothing else: no number, no call id; its key is the caller's ``user_ref``, a keyed hash. It lives in the
archive; the local sweep keeps it at least as long as the longest memory retention (an export written before the
erasure could hold live memories of the erased calls until then), a deployed bucket's lifecycle rule ends it with
the events after ``archiveRetentionDays``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.errors import NotFound
from shared.ingest.ports import ERASE_PREFIX, Archive, ArchivedEvent

if TYPE_CHECKING:
    from shared.memory.models import Memory

log = logging.getLogger("agentic_memory.erasures")

ERASED_PREFIX = "erased/"


def erasure_key(user_ref: str) -> str:
    return f"{ERASED_PREFIX}{user_ref}"


def is_event_key(key: str) -> bool:
    """Whether an archive key holds a post-call event, not an erase job or an erasure record."""
    return not key.startswith((ERASE_PREFIX, ERASED_PREFIX))


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _record(archive: Archive, user_ref: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = json.loads(archive.get(erasure_key(user_ref)).body)
    except NotFound:
        return None
    return found


def erased_at(archive: Archive, user_ref: str) -> datetime | None:
    """When the caller was last erased; None if never (or so long ago the record has expired)."""
    record = _record(archive, user_ref)
    return datetime.fromisoformat(record["erased_at"]) if record else None


def record_erasure(archive: Archive, user_ref: str, at: datetime, agent_type: str, keys: Collection[str] = ()) -> None:
    """Remember that the caller was erased at ``at`` (a later erasure moves the time on, never back), and which of
    their events were erased (as hashes of their keys: a resend of one is known even when it carries no time)."""
    previous = _record(archive, user_ref) or {}
    when = max(at, datetime.fromisoformat(previous["erased_at"])) if previous else at
    erased = sorted(set(previous.get("events", [])) | {_digest(key) for key in keys})
    if previous and when.isoformat() == previous["erased_at"] and erased == previous.get("events", []):
        return
    body = json.dumps({"erased_at": when.isoformat(), "events": erased}).encode()
    archive.replace(ArchivedEvent(erasure_key(user_ref), body, when, agent_type))


def forgotten(
    archive: Archive, user_ref: str, key: str, call_time: datetime | None, received_at: datetime | None = None
) -> bool:
    """Whether this event of this caller was erased: one of the events erased (a resend), or a call that took place
    at or before their last erasure. A call without a time of its own that was never erased is a new call.

    Deployed, an erasure is a job the worker runs later (``request_erasure``) and queues keep no order: a call
    queued before the erasure can be processed before its job. So a call at or before a pending erase job's
    request (its own time, else when it arrived) is forgotten too, as if the job had run."""
    record = _record(archive, user_ref)
    if record is not None:
        if _digest(key) in record.get("events", []):
            return True
        if call_time is not None and call_time <= datetime.fromisoformat(record["erased_at"]):
            return True
    moment = call_time or received_at
    if moment is None or not archive.lifecycle_managed:  # erasure is synchronous where the archive is not
        return False
    for job in archive.keys_under(f"{ERASE_PREFIX}{user_ref}/"):
        try:
            if moment <= archive.get(job).received_at:
                return True
        except NotFound:  # the job finished meanwhile: its record, read above, now says it
            return forgotten(archive, user_ref, key, call_time)
    return False


@dataclass(frozen=True)
class CallerErasure:
    """What the archive says of one caller's erasure: the latest moment it covers (the record's, or a pending erase
    job's request) and the hashes of the events it erased."""

    at: datetime | None
    events: frozenset[str]

    def covers(self, key: str, call_time: datetime) -> bool:
        return _digest(key) in self.events or (self.at is not None and call_time <= self.at)


def caller_erasure(archive: Archive, user_ref: str) -> CallerErasure | None:
    """The caller's erasure as ``forgotten`` reads it (the record, and deployed the pending erase jobs), or None."""
    moments: list[datetime] = []
    if archive.lifecycle_managed:
        for job in archive.keys_under(f"{ERASE_PREFIX}{user_ref}/"):
            with contextlib.suppress(NotFound):  # finished meanwhile: the record read below holds its time
                moments.append(archive.get(job).received_at)
    record = _record(archive, user_ref) or {}
    if record:
        moments.append(datetime.fromisoformat(record["erased_at"]))
    events = frozenset(record.get("events", []))
    if not moments and not events:
        return None
    return CallerErasure(max(moments) if moments else None, events)


class ErasedCallers:
    """Whether a stored memory comes from a call its caller has been erased of since (an export read back by
    ``memories import``, a backup restored): such a memory must not bring the caller back, as a late post-call
    would not. Reads each caller's record once."""

    def __init__(self, archive: Archive, user_ref: Callable[[str], str]) -> None:
        self._archive = archive
        self._user_ref = user_ref
        self._erasures: dict[str, CallerErasure | None] = {}

    def __call__(self, memory: Memory) -> bool:
        if memory.user_id not in self._erasures:
            self._erasures[memory.user_id] = caller_erasure(self._archive, self._user_ref(memory.user_id))
        erasure = self._erasures[memory.user_id]
        event = memory.metadata.get("event")
        return erasure is not None and erasure.covers(event if isinstance(event, str) else "", memory.created_at)
