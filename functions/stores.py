"""Which side builds the memory store a ``MEMORY_BACKEND`` names: a cloud's ports for its own database, ``shared``
for the rest.

The cloud entry points get the store from their ``cloud_ports``; the local edge and the command line (``serve``,
``memories export|import``) come through here, so every backend works from a laptop that can reach it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from shared.ingest.ports import Archive
from shared.memory.backends import build_store
from shared.memory.store import MemoryStore
from shared.secrets import SecretSource
from shared.settings import Settings

# Backend name -> the ports module whose ``memory_store(environ, *, read_timeout)`` builds it.
CLOUD_STORE_PORTS: dict[str, str] = {"dynamodb": "functions.aws.ports", "firestore": "functions.gcp.ports"}


def memory_store(
    settings: Settings,
    secrets: SecretSource,
    environ: Mapping[str, str],
    *,
    pending_archive: Archive | None = None,
) -> MemoryStore:
    """Raises ``ConfigError`` when the backend's settings (e.g. ``MEMORY_TABLE``) are missing."""
    module = CLOUD_STORE_PORTS.get(settings.memory_backend)
    if module is None:
        return build_store(settings, secrets, pending_archive=pending_archive)
    store: MemoryStore = importlib.import_module(module).memory_store(environ, read_timeout=settings.mem0_read_timeout)
    return store


__all__ = ["CLOUD_STORE_PORTS", "memory_store"]
