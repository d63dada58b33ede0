"""The archive and queue ports. Local backends live in ``shared.ingest.local``; cloud ones in ``functions``.

The archive holds each accepted post-call body under its idempotency key, exactly as received, so a
failed or lost event can be replayed. ``user_ref`` (a keyed hash of the memory user id under the stack's
``CALLER_REF_KEY``, never the phone number) lets erasure find a caller's events. The queue carries only keys: an
event's idempotency key (``<event type>:<call id>``) or an erase job's (``erase/<user ref>/<request id>``, see
``erase_job_key``).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

# Reserved for erase jobs. An event key starts with its event type, so only an event type beginning with this
# prefix could take it; ``IngestWorker`` refuses such a configuration at start-up.
ERASE_PREFIX = "erase/"
_ERASE_JOB = re.compile(r"^erase/(?P<ref>[0-9a-f]{32})/(?P<request>[0-9a-f]{32})$")


@dataclass(frozen=True)
class ArchivedEvent:
    key: str
    body: bytes
    received_at: datetime
    agent_type: str
    user_ref: str | None = None


@dataclass(frozen=True)
class ArchiveEntry:
    """What an archive listing returns without reading bodies."""

    key: str
    received_at: datetime
    agent_type: str
    user_ref: str | None = None


class Archive(ABC):
    #: True when the storage itself expires old events (a bucket lifecycle rule): the retention sweep leaves
    #: them to it, and erasure of archived events runs in the worker (the only role that may list and delete).
    lifecycle_managed: bool = False

    @abstractmethod
    def put_if_absent(self, event: ArchivedEvent) -> bool:
        """Store the event unless its key exists. Returns True if it was stored now, False if already there."""

    @abstractmethod
    def get(self, key: str) -> ArchivedEvent:
        """Raises ``NotFound``."""

    @abstractmethod
    def entries(self) -> Iterator[ArchiveEntry]:
        """Every archived event, in no particular order."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Delete one event; a missing key is not an error."""

    def purge(self, key: str) -> None:
        """Delete the event and every older version the storage keeps of it (erasure). Unversioned: ``delete``."""
        self.delete(key)

    def replace(self, event: ArchivedEvent) -> None:
        """Store the event under its key whatever is there, keeping no older version (a record rewritten in place,
        such as the mem0 pending log's). Versioned backends write first and then drop the older versions, so a
        reader never finds the key empty."""
        self.purge(event.key)
        self.put_if_absent(event)

    def keys_under(self, prefix: str) -> list[str]:
        """The keys starting with ``prefix`` (an erase job's ``erase/<user_ref>/``). Backends list them by prefix."""
        return sorted(entry.key for entry in self.entries() if entry.key.startswith(prefix))

    def erase_user(self, *user_refs: str) -> list[str]:
        """Purge every archived event marked by any of the caller's refs (the keyed one, and older unkeyed ones);
        returns their keys. Backends may find them more cheaply."""
        refs = set(user_refs)
        keys = sorted({entry.key for entry in self.entries() if entry.user_ref in refs})
        for key in keys:
            self.purge(key)
        return keys


@dataclass(frozen=True)
class QueueMessage:
    key: str
    attempts: int = 0
    receipt: str = ""


class Queue(ABC):
    """Producer side: every cloud has one. Consumer sides differ per cloud and are driven by its edge."""

    @abstractmethod
    def enqueue(self, key: str) -> None:
        """Put the key on the queue for the worker."""


@dataclass(frozen=True)
class EraseJob:
    """An erasure the worker finishes: the request (the user id, archived under ``key``) names no caller in the
    queue, which carries only ``user_ref``, a hash."""

    key: str
    user_ref: str


@runtime_checkable
class KeyedQueue(Protocol):
    """A queue whose entries can be listed and removed by key (the local SQLite queue). Cloud queues cannot:
    their messages for an erased caller find no archived event and are skipped by the worker."""

    def keys(self, state: str) -> list[str]: ...

    def remove(self, key: str) -> None: ...


def erase_job_key(user_ref: str, request_id: str) -> str:
    """Raises ``ValueError`` unless both are 32 lowercase hex digits (a user ref, a random request id)."""
    key = f"{ERASE_PREFIX}{user_ref}/{request_id}"
    if not _ERASE_JOB.match(key):
        raise ValueError("an erase job key needs a 32-hex user ref and request id")
    return key


def parse_erase_job(key: str) -> EraseJob | None:
    """The erase job a queue key names; None for an event key. Raises ``ValueError`` for a malformed erase key."""
    if not key.startswith(ERASE_PREFIX):
        return None
    found = _ERASE_JOB.match(key)
    if found is None:
        raise ValueError("malformed erase job key")
    return EraseJob(key, found["ref"])
