"""Ports for a cloud entry point run with no cloud (tests, a laptop): files and SQLite under the data dir.

A stack always sets both the archive and the queue; an entry point falls back to these only when
neither is set, and refuses a half-configured environment rather than silently losing events. ``Ports`` is
what either cloud's ``cloud_ports`` hands its entry point: the mem0 pending log's archive, and the memory store when
the backend is that cloud's own database (``dynamodb``, ``firestore``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shared.errors import ConfigError
from shared.ingest.local import FileArchive, SqliteQueue
from shared.ingest.ports import Archive, Queue
from shared.memory.store import MemoryStore
from shared.secrets import SecretSource

log = logging.getLogger("agentic_memory.functions")

ARCHIVE_DIR = "archive"
QUEUE_FILE = "queue.db"
# The mem0 pending log's prefix in the archive bucket (the stack sets MEM0_PENDING_PREFIX; its IAM names it).
PENDING_PREFIX = "mem0-pending/"


@dataclass(frozen=True)
class Ports:
    secrets: SecretSource
    archive: Archive
    queue: Queue
    #: Where the mem0 backend keeps adds Mem0 does not list yet, shared by the HTTP function and the worker:
    #: the archive bucket's own prefix in the cloud; None (a directory under the data dir) with local ports.
    pending_archive: Archive | None = None
    #: The cloud's own memory store (DynamoDB, Firestore) when ``MEMORY_BACKEND`` names it; None: ``shared`` builds
    #: the store (sqlite, mem0).
    store: MemoryStore | None = None


def pending_prefix(environ: Mapping[str, str]) -> str:
    return environ.get("MEM0_PENDING_PREFIX") or PENDING_PREFIX


def wants_cloud_ports(environ: Mapping[str, str], archive_var: str, queue_var: str) -> bool:
    """True when the stack configured the cloud archive and queue; raises ``ConfigError`` when only one is set."""
    archive, queue = bool(environ.get(archive_var)), bool(environ.get(queue_var))
    if archive != queue:
        raise ConfigError(f"{archive_var} and {queue_var} must be set together (or neither, for local ports)")
    return archive


def local_ports(data_dir: Path) -> tuple[Archive, Queue]:
    log.warning("no cloud archive or queue configured: using local files and SQLite under the data directory")
    return FileArchive(data_dir / ARCHIVE_DIR), SqliteQueue(data_dir / QUEUE_FILE)
