"""The archive and queue ports. Local backends live in ``shared.ingest.local``; cloud ones in ``functions``.

The archive holds each accepted post-call body under its idempotency key, exactly as received, so a
failed or lost event can be replayed. ``user_ref`` (a keyed hash of the memory user id, never the phone
number) lets erasure find a caller's events. The queue carries only keys.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime


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
