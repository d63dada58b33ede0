"""The archive port on S3: raw post-call bodies, create-only, erased version by version."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from functions import archive_metadata
from functions.aws.errors import error_code as _error_code
from shared.errors import NotFound, StoreUnavailable
from shared.ingest.ports import Archive, ArchivedEvent, ArchiveEntry

DEFAULT_PREFIX = "events/"
CONDITIONAL_FAILURES = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412", "409"})
MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
FORBIDDEN = frozenset({"AccessDenied", "403", "Forbidden"})
DELETE_BATCH = 1000  # DeleteObjects' limit
HEAD_CONCURRENCY = 16
NULL_VERSION = "null"  # an object written while versioning was off (archive objects are create-only: same event)


class S3Archive(Archive):
    """Raw post-call bodies under ``prefix + idempotency key``; a redelivery never overwrites (``If-None-Match``).

    The stack's bucket is versioned and expires events by its lifecycle rule (``lifecycle_managed``). Roles
    hold only prefix-scoped grants, so S3 may answer a missing key with 403 (it says 404 only to a caller it
    lets list the bucket): ``get`` then lists that one key (``s3:ListBucket`` on the prefix) to tell "absent"
    from "denied". Erasure deletes every version (``purge``, ``erase_user``), never leaving a noncurrent copy.
    """

    lifecycle_managed = True

    def __init__(
        self, bucket: str, *, s3_client: Any, prefix: str = DEFAULT_PREFIX, lifecycle_managed: bool = True
    ) -> None:
        self._bucket = bucket
        self._prefix = prefix
        self._s3 = s3_client
        self.lifecycle_managed = lifecycle_managed

    def with_prefix(self, prefix: str, *, s3_client: Any = None) -> S3Archive:
        """The same bucket under another prefix (e.g. the mem0 pending log), optionally with its own client."""
        client = self._s3 if s3_client is None else s3_client
        return S3Archive(self._bucket, s3_client=client, prefix=prefix, lifecycle_managed=self.lifecycle_managed)

    def _key(self, key: str) -> str:
        return self._prefix + key

    def put_if_absent(self, event: ArchivedEvent) -> bool:
        try:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=self._key(event.key),
                Body=event.body,
                IfNoneMatch="*",
                ContentType="application/octet-stream",
                Metadata=archive_metadata.to_metadata(event),
            )
        except Exception as exc:
            # 412: the key exists. 409: a concurrent conditional write of this key is in flight; that writer owns it.
            if _error_code(exc) in CONDITIONAL_FAILURES:
                return False
            raise StoreUnavailable("archive write failed") from exc
        return True

    def get(self, key: str) -> ArchivedEvent:
        try:
            found = self._s3.get_object(Bucket=self._bucket, Key=self._key(key))
            body = found["Body"].read()
        except Exception as exc:
            code = _error_code(exc)
            if code in MISSING or (code in FORBIDDEN and not self._listed(self._key(key))):
                raise NotFound(f"no archived event {key}") from exc
            raise StoreUnavailable("archive read failed") from exc
        entry = archive_metadata.to_entry(key, found.get("Metadata") or {}, found.get("LastModified"))
        return archive_metadata.with_body(entry, body)

    def _listed(self, full_key: str) -> bool:
        """Whether the key exists, by listing it alone: what a 403 on a read meant. Raises ``StoreUnavailable``."""
        try:
            page = self._s3.list_objects_v2(Bucket=self._bucket, Prefix=full_key, MaxKeys=1)
        except Exception as exc:
            raise StoreUnavailable("archive read denied") from exc
        return any(item["Key"] == full_key for item in page.get("Contents", []))

    def entries(self) -> Iterator[ArchiveEntry]:
        try:
            pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=self._prefix)
            for page in pages:
                for item in page.get("Contents", []):
                    head = self._s3.head_object(Bucket=self._bucket, Key=item["Key"])
                    key = item["Key"][len(self._prefix) :]
                    yield archive_metadata.to_entry(key, head.get("Metadata") or {}, item.get("LastModified"))
        except Exception as exc:
            raise StoreUnavailable("archive listing failed") from exc

    def delete(self, key: str) -> None:
        try:
            self._s3.delete_object(Bucket=self._bucket, Key=self._key(key))
        except Exception as exc:
            raise StoreUnavailable("archive delete failed") from exc

    def purge(self, key: str) -> None:
        full_key = self._key(key)
        self._delete_versions(self._versions(full_key).of(full_key))

    def replace(self, event: ArchivedEvent) -> None:
        """Overwrite, then delete every other version of the key, but only while ours is the latest: a writer that
        came after us cleans up ours, so concurrent writers converge on one version and none is left behind."""
        full_key = self._key(event.key)
        try:
            written = self._s3.put_object(
                Bucket=self._bucket,
                Key=full_key,
                Body=event.body,
                ContentType="application/octet-stream",
                Metadata=archive_metadata.to_metadata(event),
            )
        except Exception as exc:
            raise StoreUnavailable("archive write failed") from exc
        ours = written.get("VersionId") or NULL_VERSION
        versions = self._versions(full_key)
        if versions.latest.get(full_key) == ours:
            self._delete_versions([pair for pair in versions.of(full_key) if pair[1] != ours])

    def erase_user(self, *user_refs: str) -> list[str]:
        """Every version of every event any of the caller's refs marks, current or not (one listing of versions,
        one HEAD per event, in parallel)."""
        versions = self._versions(self._prefix)
        readable = versions.readable()
        with ThreadPoolExecutor(max_workers=HEAD_CONCURRENCY) as pool:
            refs = list(pool.map(self._user_ref, readable.items()))
        erased = sorted(key for key, ref in zip(readable, refs, strict=True) if ref is not None and ref in user_refs)
        self._delete_versions([pair for key in erased for pair in versions.of(key)])
        return [key[len(self._prefix) :] for key in erased]

    def keys_under(self, prefix: str) -> list[str]:
        versions = self._versions(self._key(prefix))
        live = (key for key, version in versions.latest.items() if (key, version) not in versions.markers)
        return sorted(key[len(self._prefix) :] for key in live)

    def _versions(self, prefix: str) -> _Versions:
        found = _Versions()
        try:
            pages = self._s3.get_paginator("list_object_versions").paginate(Bucket=self._bucket, Prefix=prefix)
            for page in pages:
                for item in page.get("Versions", []):
                    found.ids.setdefault(item["Key"], []).append(item["VersionId"])
                    if item.get("IsLatest"):
                        found.latest[item["Key"]] = item["VersionId"]
                for item in page.get("DeleteMarkers", []):
                    found.ids.setdefault(item["Key"], []).append(item["VersionId"])
                    found.markers.add((item["Key"], item["VersionId"]))
                    if item.get("IsLatest"):
                        found.latest[item["Key"]] = item["VersionId"]
        except Exception as exc:
            raise StoreUnavailable("archive version listing failed") from exc
        return found

    def _user_ref(self, version: tuple[str, str]) -> str | None:
        full_key, version_id = version
        pinned = {} if version_id == NULL_VERSION else {"VersionId": version_id}
        try:
            head = self._s3.head_object(Bucket=self._bucket, Key=full_key, **pinned)
        except Exception as exc:
            raise StoreUnavailable("archive read failed") from exc
        return (head.get("Metadata") or {}).get(archive_metadata.USER_REF)

    def _delete_versions(self, versions: list[tuple[str, str]]) -> None:
        for start in range(0, len(versions), DELETE_BATCH):
            chunk = [{"Key": key, "VersionId": version} for key, version in versions[start : start + DELETE_BATCH]]
            try:
                answer = self._s3.delete_objects(Bucket=self._bucket, Delete={"Objects": chunk, "Quiet": True})
            except Exception as exc:
                raise StoreUnavailable("archive purge failed") from exc
            if answer.get("Errors"):
                raise StoreUnavailable(f"archive purge failed for {len(answer['Errors'])} object version(s)")


@dataclass
class _Versions:
    """A version listing: key -> every version id (delete markers too), newest first; which ids are markers, and
    which is each key's latest."""

    ids: dict[str, list[str]] = field(default_factory=dict)
    markers: set[tuple[str, str]] = field(default_factory=set)
    latest: dict[str, str] = field(default_factory=dict)

    def of(self, key: str) -> list[tuple[str, str]]:
        return [(key, version) for version in self.ids.get(key, [])]

    def readable(self) -> dict[str, str]:
        """Key -> its newest real version (metadata is the same on all: archive objects are create-only)."""
        found: dict[str, str] = {}
        for key, versions in self.ids.items():
            real = [version for version in versions if (key, version) not in self.markers]
            if real:
                found[key] = real[0]
        return found


__all__ = ["S3Archive"]
