"""Builds the Google Cloud ports from the stack's environment; clients are built on first use."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from functions.gcp.archive import DEFAULT_PREFIX, GcsArchive
from functions.gcp.queue import PubSubQueue
from functions.lazy import LazyClient
from functions.standalone import Ports, local_ports, pending_prefix, wants_cloud_ports
from shared.ingest.ports import Archive, Queue
from shared.memory.store import MemoryStore
from shared.secrets import EnvSecrets, SecretSource


def _storage_client() -> Any:
    from google.cloud import storage

    return storage.Client()


def _publisher_client() -> Any:
    from google.cloud import pubsub_v1

    return pubsub_v1.PublisherClient()


def memory_store(environ: Mapping[str, str], *, read_timeout: float = 1.5) -> MemoryStore:
    """The Firestore store (``MEMORY_BACKEND=firestore``) on the stack's ``FIRESTORE_DATABASE``, each read within
    ``read_timeout``; its client is built on first use."""
    from functions.gcp.store import store_from_environ

    return store_from_environ(environ, read_timeout=read_timeout)


def cloud_ports(
    environ: Mapping[str, str],
    data_dir: Path,
    *,
    memory_backend: str = "sqlite",
    read_timeout: float = 1.5,
    storage_factory: Callable[[], Any] = _storage_client,
    publisher_factory: Callable[[], Any] = _publisher_client,
) -> Ports:
    """The stack sets ``ARCHIVE_BUCKET`` and ``PUBSUB_TOPIC``; with neither, local ports. Secrets are mounted as env.

    The google-cloud libraries are imported and their clients built on first use, never on the pre-call path
    (except, with the mem0 backend, the pending log: the bucket's ``MEM0_PENDING_PREFIX``, read within
    ``read_timeout``).
    """
    secrets = EnvSecrets(environ)
    store = memory_store(environ, read_timeout=read_timeout) if memory_backend == "firestore" else None
    if not wants_cloud_ports(environ, "ARCHIVE_BUCKET", "PUBSUB_TOPIC"):
        return Ports(secrets, *local_ports(data_dir), store=store)
    archive = GcsArchive(
        environ["ARCHIVE_BUCKET"],
        storage_client=LazyClient(storage_factory),
        prefix=environ.get("ARCHIVE_PREFIX") or DEFAULT_PREFIX,
    )
    queue = PubSubQueue(environ["PUBSUB_TOPIC"], publisher=LazyClient(publisher_factory))
    pending = archive.with_prefix(pending_prefix(environ), timeout=read_timeout) if memory_backend == "mem0" else None
    return Ports(secrets, archive, queue, pending, store)


def ports_from_environ(
    environ: Mapping[str, str],
    data_dir: Path,
    *,
    storage_factory: Callable[[], Any] = _storage_client,
    publisher_factory: Callable[[], Any] = _publisher_client,
) -> tuple[SecretSource, Archive, Queue]:
    """``cloud_ports`` without the pending log."""
    ports = cloud_ports(environ, data_dir, storage_factory=storage_factory, publisher_factory=publisher_factory)
    return ports.secrets, ports.archive, ports.queue


__all__ = ["cloud_ports", "memory_store", "ports_from_environ"]
