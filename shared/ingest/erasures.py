"""What an erasure leaves behind: when it happened, under the caller's keyed reference, so that no call from before
it is ever remembered again.

Erasure removes a caller's archived events, so a platform resending one of their old calls afterwards (a late
retry, a replay) would otherwise look new and bring the caller back. The worker asks ``forgotten`` before it writes
and again after (an erasure that ran while it wrote). The record holds the time and nothing else: no number, no
call id; its key is the caller's ``user_ref``, a keyed hash. It lives in the archive, so the archive's retention
(or its bucket lifecycle) ends it with the events it outlives.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from shared.errors import NotFound
from shared.ingest.ports import ERASE_PREFIX, Archive, ArchivedEvent

log = logging.getLogger("agentic_memory.erasures")

ERASED_PREFIX = "erased/"


def erasure_key(user_ref: str) -> str:
    return f"{ERASED_PREFIX}{user_ref}"


def is_event_key(key: str) -> bool:
    """Whether an archive key holds a post-call event, not an erase job or an erasure record."""
    return not key.startswith((ERASE_PREFIX, ERASED_PREFIX))


def erased_at(archive: Archive, user_ref: str) -> datetime | None:
    """When the caller was last erased; None if never (or so long ago the record has expired)."""
    try:
        record = archive.get(erasure_key(user_ref))
    except NotFound:
        return None
    return datetime.fromisoformat(json.loads(record.body)["erased_at"])


def record_erasure(archive: Archive, user_ref: str, at: datetime, agent_type: str) -> None:
    """Remember that the caller was erased at ``at`` (a later erasure moves the time on, never back)."""
    previous = erased_at(archive, user_ref)
    if previous is not None and previous >= at:
        return
    body = json.dumps({"erased_at": at.isoformat()}).encode()
    archive.replace(ArchivedEvent(erasure_key(user_ref), body, at, agent_type))


def forgotten(archive: Archive, user_ref: str, call_time: datetime | None) -> bool:
    """Whether a call of this caller at ``call_time`` was erased: it took place at or before their last erasure.
    A call without a time of its own counts as before it (a caller's erasure is not undone by a payload that
    leaves its time out)."""
    at = erased_at(archive, user_ref)
    return at is not None and (call_time is None or call_time <= at)
