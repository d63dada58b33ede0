"""Which side builds the memory store a ``MEMORY_BACKEND`` names: a cloud's ports for its own database, ``shared``
for the rest.

The cloud entry points get the store from their ``cloud_ports``; the local edge and the command line (``serve``,
``memories export|import``) come through here, so every backend works from a laptop that can reach it.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Mapping

from shared.errors import ConfigError
from shared.ingest.ports import Archive
from shared.memory.backends import build_store
from shared.memory.store import MemoryStore
from shared.secrets import SecretSource
from shared.settings import Settings

# Backend name -> the ports module whose ``memory_store(environ, *, read_timeout)`` builds it.
CLOUD_STORE_PORTS: dict[str, str] = {"dynamodb": "functions.aws.ports", "firestore": "functions.gcp.ports"}
# Backend name -> the extra that installs its client library, and a module of that library (a service-only
# install, ``make serve``, has neither).
CLOUD_STORE_EXTRAS: dict[str, tuple[str, str]] = {
    "dynamodb": ("aws", "boto3"),
    "firestore": ("gcp", "google.cloud.firestore"),
}


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a missing parent package ("google") raises instead of answering None
        return False


def _needs_extra(backend: str) -> None:
    """A missing client library named with the extra that installs it, before anything is built or read."""
    extra, module = CLOUD_STORE_EXTRAS[backend]
    if not _installed(module):
        raise ConfigError(
            f"the {backend} store needs the {extra} extra ({module} is not installed): "
            f"run .venv/bin/pip install -e '.[{extra}]'"
        )


def memory_store(
    settings: Settings,
    secrets: SecretSource,
    environ: Mapping[str, str],
    *,
    pending_archive: Archive | None = None,
) -> MemoryStore:
    """Raises ``ConfigError`` when the backend's settings (e.g. ``MEMORY_TABLE``) or its client library (the ``aws``
    or ``gcp`` extra) are missing."""
    module = CLOUD_STORE_PORTS.get(settings.memory_backend)
    if module is None:
        return build_store(settings, secrets, pending_archive=pending_archive)
    _needs_extra(settings.memory_backend)
    store: MemoryStore = importlib.import_module(module).memory_store(environ, read_timeout=settings.mem0_read_timeout)
    return store


__all__ = ["CLOUD_STORE_EXTRAS", "CLOUD_STORE_PORTS", "memory_store"]
