"""A versioned Cloud Storage bucket, and clients that obey a service account's conditioned bucket grants.

``VersionedStorage`` is the google-cloud-storage surface the archive uses (``bucket().blob()``, ``get_blob``,
``upload_from_string``, ``download_as_bytes``, ``delete``, ``list_blobs(versions=...)``) over a bucket with
object versioning on: replacing or deleting the live object keeps it as a noncurrent generation; deleting a
blob that names a generation (``bucket.blob(name, generation=g)``, or one a listing returned) removes that
generation for good. ``Conditioned`` checks each call against predefined roles granted with IAM Conditions,
the way Cloud Storage does: object calls on ``projects/_/buckets/B/objects/NAME``, listing on the bucket
itself with the request's list prefix (``storage.googleapis.com/objectListPrefix``); denied: ``Forbidden``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from google.api_core import exceptions

ROLE_PERMISSIONS = {
    "roles/storage.objectCreator": {"storage.objects.create"},
    "roles/storage.objectViewer": {"storage.objects.get", "storage.objects.list"},
    "roles/storage.objectUser": {
        "storage.objects.create",
        "storage.objects.delete",
        "storage.objects.get",
        "storage.objects.list",
        "storage.objects.update",
    },
}
OBJECT, BUCKET = "storage.googleapis.com/Object", "storage.googleapis.com/Bucket"


@dataclass
class Generation:
    data: bytes
    generation: int
    metadata: dict[str, str] | None
    time_created: datetime
    live: bool = True


class VersionedStorage:
    def __init__(self, *buckets: str) -> None:
        self.buckets: dict[str, dict[str, list[Generation]]] = {name: {} for name in buckets}
        self._generations = itertools.count(1_700_000_000_000_000)

    def bucket(self, bucket_name: str, user_project: str | None = None, generation: int | None = None) -> VBucket:
        if bucket_name not in self.buckets:
            raise exceptions.NotFound(f"bucket {bucket_name} does not exist")
        return VBucket(self, bucket_name)

    def list_blobs(
        self, bucket_or_name: str, prefix: str | None = None, versions: bool | None = None, **_: Any
    ) -> Iterator[VBlob]:
        bucket = self.bucket(bucket_or_name)
        for name, generations in sorted(self.buckets[bucket_or_name].items()):
            if prefix is None or name.startswith(prefix):
                for stored in generations:
                    if stored.live or versions:
                        yield VBlob(bucket, name, stored.generation, stored)

    def names(self, bucket: str, prefix: str = "") -> list[str]:
        """Every generation's name, live or not (for assertions: what a noncurrent copy would leave)."""
        return sorted(n for n, gens in self.buckets[bucket].items() if n.startswith(prefix) for _ in gens)

    def next_generation(self) -> int:
        return next(self._generations)


class VBucket:
    def __init__(self, client: VersionedStorage, name: str) -> None:
        self.client = client
        self.name = name

    @property
    def objects(self) -> dict[str, list[Generation]]:
        return self.client.buckets[self.name]

    def live(self, name: str) -> Generation | None:
        return next((g for g in self.objects.get(name, []) if g.live), None)

    def blob(self, blob_name: str, chunk_size: int | None = None, generation: int | None = None, **_: Any) -> VBlob:
        return VBlob(self, blob_name, generation)

    def get_blob(self, blob_name: str, client: Any = None, generation: int | None = None, **_: Any) -> VBlob | None:
        stored = self.live(blob_name)
        return None if stored is None else VBlob(self, blob_name, stored.generation, stored)


class VBlob:
    def __init__(self, bucket: VBucket, name: str, generation: int | None, stored: Generation | None = None) -> None:
        self.bucket = bucket
        self.name = name
        self.generation = generation
        self.metadata = dict(stored.metadata) if stored and stored.metadata else None
        self.time_created = stored.time_created if stored else None

    def upload_from_string(
        self, data: bytes | str, content_type: str = "text/plain", if_generation_match: int | None = None, **_: Any
    ) -> None:
        live = self.bucket.live(self.name)
        if if_generation_match is not None and (live.generation if live else 0) != if_generation_match:
            raise exceptions.PreconditionFailed(f"POST .../o?name={self.name}: conditionNotMet")
        if live is not None:
            live.live = False
        payload = data.encode() if isinstance(data, str) else bytes(data)
        stored = Generation(payload, self.bucket.client.next_generation(), self.metadata, datetime.now(UTC))
        self.bucket.objects.setdefault(self.name, []).append(stored)
        self.generation, self.time_created = stored.generation, stored.time_created

    def _target(self) -> Generation | None:
        generations = self.bucket.objects.get(self.name, [])
        if self.generation is None:
            return next((g for g in generations if g.live), None)
        return next((g for g in generations if g.generation == self.generation), None)

    def download_as_bytes(self, **_: Any) -> bytes:
        target = self._target()
        if target is None:
            raise exceptions.NotFound(f"GET .../o/{self.name}: No such object")
        return target.data

    def delete(self, client: Any = None, if_generation_match: int | None = None, **_: Any) -> None:
        target = self._target()
        if target is None:
            raise exceptions.NotFound(f"DELETE .../o/{self.name}: No such object")
        if self.generation is None:  # the live object of a versioned bucket becomes noncurrent
            target.live = False
        else:
            self.bucket.objects[self.name].remove(target)
            if not self.bucket.objects[self.name]:
                del self.bucket.objects[self.name]


# -- IAM Conditions ---------------------------------------------------------------------------------------

_ATOMS = {
    "name_prefix": re.compile(r'^resource\.name\.startsWith\("(?P<v>[^"]*)"\)$'),
    "name": re.compile(r'^resource\.name == "(?P<v>[^"]*)"$'),
    "type": re.compile(r'^resource\.type == "(?P<v>[^"]*)"$'),
    "list_prefix": re.compile(
        r'^api\.getAttribute\("storage\.googleapis\.com/objectListPrefix", ""\)\.startsWith\("(?P<v>[^"]*)"\)$'
    ),
}


def holds(expression: str, *, name: str, kind: str, list_prefix: str = "") -> bool:
    """The subset of CEL the stack's conditions use: ``A || (B && C)`` over the atoms above."""
    for clause in expression.split(" || "):
        clause = clause.strip()
        if clause.startswith("(") and clause.endswith(")"):
            clause = clause[1:-1]
        if all(_atom(atom.strip(), name=name, kind=kind, list_prefix=list_prefix) for atom in clause.split(" && ")):
            return True
    return False


def _atom(atom: str, *, name: str, kind: str, list_prefix: str) -> bool:
    for which, pattern in _ATOMS.items():
        found = pattern.match(atom)
        if found:
            value = found["v"]
            return {
                "name_prefix": name.startswith(value),
                "name": name == value,
                "type": kind == value,
                "list_prefix": kind == BUCKET and list_prefix.startswith(value),
            }[which]
    raise AssertionError(f"condition atom not modelled: {atom}")


class Conditioned:
    """A storage client as one service account sees it: ``grants`` are (predefined role, condition expression)."""

    def __init__(self, client: VersionedStorage, grants: list[tuple[str, str]]) -> None:
        self._client = client
        self._grants = grants
        self.calls: list[tuple[str, str]] = []

    def require(self, permission: str, name: str, kind: str = OBJECT, list_prefix: str = "") -> None:
        self.calls.append((permission, name))
        for role, expression in self._grants:
            if permission in ROLE_PERMISSIONS[role] and holds(
                expression, name=name, kind=kind, list_prefix=list_prefix
            ):
                return
        raise exceptions.Forbidden(f"caller does not have {permission} access to {name}")

    def bucket(self, bucket_name: str, user_project: str | None = None, generation: int | None = None) -> _Bucket:
        return _Bucket(self, self._client.bucket(bucket_name))

    def list_blobs(self, bucket_or_name: str, prefix: str | None = None, **kwargs: Any) -> Iterator[Any]:
        self.require("storage.objects.list", f"projects/_/buckets/{bucket_or_name}", BUCKET, prefix or "")
        bucket = self.bucket(bucket_or_name)
        return (_Blob(bucket, blob) for blob in self._client.list_blobs(bucket_or_name, prefix=prefix, **kwargs))


class _Bucket:
    def __init__(self, outer: Conditioned, bucket: VBucket) -> None:
        self.outer = outer
        self.inner = bucket

    def object_name(self, name: str) -> str:
        return f"projects/_/buckets/{self.inner.name}/objects/{name}"

    def blob(self, blob_name: str, **kwargs: Any) -> _Blob:
        return _Blob(self, self.inner.blob(blob_name, **kwargs))

    def get_blob(self, blob_name: str, **kwargs: Any) -> _Blob | None:
        self.outer.require("storage.objects.get", self.object_name(blob_name))
        found = self.inner.get_blob(blob_name, **kwargs)
        return None if found is None else _Blob(self, found)


class _Blob:
    def __init__(self, bucket: _Bucket, blob: VBlob) -> None:
        self._bucket = bucket
        self._blob = blob

    def __getattr__(self, name: str) -> Any:
        return getattr(self._blob, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            setattr(self._blob, name, value)

    def _require(self, permission: str) -> None:
        self._bucket.outer.require(permission, self._bucket.object_name(self._blob.name))

    def upload_from_string(self, *args: Any, **kwargs: Any) -> None:
        self._require("storage.objects.create")
        self._blob.upload_from_string(*args, **kwargs)

    def download_as_bytes(self, **kwargs: Any) -> bytes:
        self._require("storage.objects.get")
        return self._blob.download_as_bytes(**kwargs)

    def delete(self, **kwargs: Any) -> None:
        self._require("storage.objects.delete")
        self._blob.delete(**kwargs)
