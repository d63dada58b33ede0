"""The memory backend registry (``MEMORY_BACKEND``); each backend is imported only when chosen.

``sqlite`` and ``mem0`` are built here. The cloud databases (``dynamodb``, ``firestore``) need a cloud SDK,
which ``shared`` never imports: their cloud's ports build them (``functions/aws/store.py``,
``functions/gcp/store.py``) and hand the store to ``build_runtime``; asked here, they are a clear error.
"""

from __future__ import annotations

from collections.abc import Callable

from shared.errors import ConfigError
from shared.ingest.ports import Archive
from shared.keyed_hash import caller_ref_key
from shared.memory.store import MemoryStore
from shared.secrets import SecretSource
from shared.settings import Settings

# Backend name -> the cloud whose ports build it.
CLOUD_BACKENDS: dict[str, str] = {"dynamodb": "aws", "firestore": "gcp"}


def _sqlite(settings: Settings, secrets: SecretSource, pending_archive: Archive | None) -> MemoryStore:
    from shared.memory.sqlite import SqliteMemoryStore

    return SqliteMemoryStore(settings.data_dir / "memories.db")


def _mem0(settings: Settings, secrets: SecretSource, pending_archive: Archive | None) -> MemoryStore:
    """Mem0 adds are asynchronous: memories not yet listed are kept in a pending log that the HTTP function and
    the worker share (an archive prefix in the cloud, a directory locally) so a quick call-back is recognised."""
    from shared.memory.mem0 import Mem0MemoryStore
    from shared.memory.mem0_pending import ArchivePendingLog, DirectoryPendingLog, PendingLog

    api_key = secrets.get("MEM0_API_KEY")
    if not api_key:
        raise ConfigError("secret MEM0_API_KEY is not set but MEMORY_BACKEND=mem0 needs it")
    name_key = caller_ref_key(secrets)  # the log's record names are keyed caller references
    pending: PendingLog = (
        ArchivePendingLog(pending_archive, agent_type=settings.agent_type, name_key=name_key)
        if pending_archive is not None
        else DirectoryPendingLog(settings.data_dir / "mem0-pending", name_key=name_key)
    )
    return Mem0MemoryStore(
        api_key=api_key,
        host=settings.mem0_host,
        read_timeout=settings.mem0_read_timeout,
        write_timeout=settings.mem0_write_timeout,
        pending=pending,
    )


BackendFactory = Callable[[Settings, SecretSource, Archive | None], MemoryStore]
BACKENDS: dict[str, BackendFactory] = {"sqlite": _sqlite, "mem0": _mem0}


def build_store(settings: Settings, secrets: SecretSource, *, pending_archive: Archive | None = None) -> MemoryStore:
    """``pending_archive``: where the mem0 backend keeps adds Mem0 does not list yet (its own prefix, never the
    event archive); without one it uses a directory under the data dir (one machine only)."""
    backend = settings.memory_backend
    if backend in CLOUD_BACKENDS:
        cloud = CLOUD_BACKENDS[backend]
        raise ConfigError(
            f"MEMORY_BACKEND={backend} is built by the {cloud} ports (functions/{cloud}/store.py): "
            f"run a {cloud} entry point, or choose {' or '.join(BACKENDS)}"
        )
    try:
        factory = BACKENDS[backend]
    except KeyError:
        raise ConfigError(f"unknown MEMORY_BACKEND {backend!r}") from None
    return factory(settings, secrets, pending_archive)
