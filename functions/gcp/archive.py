"""The archive port on Cloud Storage: raw post-call bodies, create-only, erased generation by generation.

Errors are recognised by their HTTP status (``exc.code``), which every ``google.api_core`` exception carries.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from functions import archive_metadata
from shared.errors import NotFound, StoreUnavailable
from shared.ingest.ports import Archive, ArchivedEvent, ArchiveEntry

DEFAULT_PREFIX = "events/"
DEFAULT_TIMEOUT_SECONDS = 60.0  # google-cloud-storage's own default
PRECONDITION_FAILED = 412
NOT_FOUND = 404


def _status(exc: Exception) -> int | None:
    code = getattr(exc, "code", None)
    return int(code) if isinstance(code, int) else None


class GcsArchive(Archive):
    """Raw post-call bodies under ``prefix + idempotency key``, created only if absent (``if_generation_match=0``).

    The stack's bucket is versioned and expires events by its lifecycle rule (``lifecycle_managed``); erasure
    deletes every generation (``purge``, ``erase_user``), never leaving a noncurrent copy. ``timeout`` bounds
    every request (tight for the mem0 pending log, which the pre-call path reads).
    """

    lifecycle_managed = True

    def __init__(
        self,
        bucket: str,
        *,
        storage_client: Any,
        prefix: str = DEFAULT_PREFIX,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        lifecycle_managed: bool = True,
    ) -> None:
        self._client = storage_client
        self._bucket_name = bucket
        self._prefix = prefix
        self._timeout = timeout
        self.lifecycle_managed = lifecycle_managed

    def with_prefix(self, prefix: str, *, timeout: float | None = None) -> GcsArchive:
        """The same bucket under another prefix (e.g. the mem0 pending log)."""
        return GcsArchive(
            self._bucket_name,
            storage_client=self._client,
            prefix=prefix,
            timeout=self._timeout if timeout is None else timeout,
            lifecycle_managed=self.lifecycle_managed,
        )

    @property
    def _bucket(self) -> Any:
        return self._client.bucket(self._bucket_name)

    def put_if_absent(self, event: ArchivedEvent) -> bool:
        blob = self._bucket.blob(self._prefix + event.key)
        blob.metadata = archive_metadata.to_metadata(event)
        try:
            blob.upload_from_string(
                event.body, content_type="application/octet-stream", if_generation_match=0, timeout=self._timeout
            )
        except Exception as exc:
            if _status(exc) == PRECONDITION_FAILED:
                return False
            raise StoreUnavailable("archive write failed") from exc
        return True

    def get(self, key: str) -> ArchivedEvent:
        try:
            blob = self._bucket.get_blob(self._prefix + key, timeout=self._timeout)
            if blob is None:
                raise NotFound(f"no archived event {key}")
            body = blob.download_as_bytes(timeout=self._timeout)
        except NotFound:
            raise
        except Exception as exc:
            if _status(exc) == NOT_FOUND:
                raise NotFound(f"no archived event {key}") from exc
            raise StoreUnavailable("archive read failed") from exc
        entry = archive_metadata.to_entry(key, blob.metadata or {}, blob.time_created)
        return archive_metadata.with_body(entry, body)

    def entries(self) -> Iterator[ArchiveEntry]:
        try:
            for blob in self._client.list_blobs(self._bucket_name, prefix=self._prefix, timeout=self._timeout):
                yield archive_metadata.to_entry(blob.name[len(self._prefix) :], blob.metadata or {}, blob.time_created)
        except Exception as exc:
            raise StoreUnavailable("archive listing failed") from exc

    def delete(self, key: str) -> None:
        self._delete(self._prefix + key, None)

    def purge(self, key: str) -> None:
        name = self._prefix + key
        for generation in self._generations(name).get(name, []):
            self._delete(name, generation)

    def replace(self, event: ArchivedEvent) -> None:
        """Overwrite, then delete every older generation (generations only grow: a later writer's survives ours)."""
        name = self._prefix + event.key
        blob = self._bucket.blob(name)
        blob.metadata = archive_metadata.to_metadata(event)
        try:
            blob.upload_from_string(event.body, content_type="application/octet-stream", timeout=self._timeout)
        except Exception as exc:
            raise StoreUnavailable("archive write failed") from exc
        ours = blob.generation
        for generation in self._generations(name).get(name, []):
            if ours is not None and generation < ours:
                self._delete(name, generation)

    def erase_user(self, *user_refs: str) -> list[str]:
        """Every generation of every event any of the caller's refs marks (a versioned listing carries metadata)."""
        generations: dict[str, list[int]] = {}
        marked: set[str] = set()
        for blob in self._versions(self._prefix):
            generations.setdefault(blob.name, []).append(blob.generation)
            if (blob.metadata or {}).get(archive_metadata.USER_REF) in user_refs:
                marked.add(blob.name)
        for name in sorted(marked):
            for generation in generations[name]:
                self._delete(name, generation)
        return [name[len(self._prefix) :] for name in sorted(marked)]

    def keys_under(self, prefix: str) -> list[str]:
        return sorted({blob.name[len(self._prefix) :] for blob in self._versions(self._prefix + prefix)})

    def _versions(self, prefix: str) -> list[Any]:
        try:
            return list(self._client.list_blobs(self._bucket_name, prefix=prefix, versions=True, timeout=self._timeout))
        except Exception as exc:
            raise StoreUnavailable("archive version listing failed") from exc

    def _generations(self, name: str) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for blob in self._versions(name):
            found.setdefault(blob.name, []).append(blob.generation)
        return found

    def _delete(self, name: str, generation: int | None) -> None:
        """One generation, or (``None``) the live object, which a versioned bucket keeps as noncurrent."""
        try:
            self._bucket.blob(name, generation=generation).delete(timeout=self._timeout)
        except Exception as exc:
            if _status(exc) != NOT_FOUND:
                raise StoreUnavailable("archive delete failed") from exc


__all__ = ["GcsArchive"]
