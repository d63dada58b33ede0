"""Ports for a cloud entry point run with no cloud (tests, a laptop): files and SQLite under the data dir.

A stack always sets both the archive and the queue; an entry point falls back to these only when
neither is set, and refuses a half-configured environment rather than silently losing events.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from shared.errors import ConfigError
from shared.ingest.local import FileArchive, SqliteQueue
from shared.ingest.ports import Archive, Queue

log = logging.getLogger("agentic_memory.functions")

ARCHIVE_DIR = "archive"
QUEUE_FILE = "queue.db"


def wants_cloud_ports(environ: Mapping[str, str], archive_var: str, queue_var: str) -> bool:
    """True when the stack configured the cloud archive and queue; raises ``ConfigError`` when only one is set."""
    archive, queue = bool(environ.get(archive_var)), bool(environ.get(queue_var))
    if archive != queue:
        raise ConfigError(f"{archive_var} and {queue_var} must be set together (or neither, for local ports)")
    return archive


def local_ports(data_dir: Path) -> tuple[Archive, Queue]:
    log.warning("no cloud archive or queue configured: using local files and SQLite under the data directory")
    return FileArchive(data_dir / ARCHIVE_DIR), SqliteQueue(data_dir / QUEUE_FILE)
