"""A spy on the Firestore client's RPCs (the GAPIC layer every read and write goes through), and the index check.

The emulator serves any query without an index; the real service refuses one whose index is missing. ``needs_index``
reads a recorded ``RunQuery`` the way Firestore plans it, so a test can hold every query the store sends against
the indexes the stack declares (``functions.gcp.store.INDEXES``, ``UNINDEXED_FIELDS``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from functions.gcp.store import INDEXES, UNINDEXED_FIELDS

RPCS = ("run_query", "commit", "batch_write", "list_collection_ids", "batch_get_documents", "get_document")
EQUALITY = {"EQUAL", "IN", "ARRAY_CONTAINS", "ARRAY_CONTAINS_ANY"}


@dataclass
class Calls:
    counts: Counter[str] = field(default_factory=Counter)
    queries: list[Any] = field(default_factory=list)  # StructuredQuery protobufs

    def total(self) -> int:
        return sum(self.counts.values())

    def reset(self) -> None:
        self.counts.clear()
        self.queries.clear()


@contextmanager
def firestore_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    from google.cloud.firestore_v1.services.firestore.client import FirestoreClient

    calls = Calls()
    for name in RPCS:
        original = getattr(FirestoreClient, name)

        def spy(self: Any, *args: Any, _name: str = name, _original: Any = original, **kwargs: Any) -> Any:
            calls.counts[_name] += 1
            request = kwargs.get("request")
            if _name == "run_query" and isinstance(request, dict):
                calls.queries.append(request["structured_query"])
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(FirestoreClient, name, spy)
    yield calls


def _filters(where: Any) -> Iterator[tuple[str, str]]:
    kind = where._pb.WhichOneof("filter_type") if where is not None else None
    if kind == "composite_filter":
        for part in where.composite_filter.filters:
            yield from _filters(part)
    elif kind == "field_filter":
        yield where.field_filter.field.field_path, where.field_filter.op.name
    elif kind == "unary_filter":
        yield where.unary_filter.field.field_path, "EQUAL"


@dataclass(frozen=True)
class Need:
    """What a query needs: equality fields (any order in an index) then ordered fields, in a scope."""

    scope: str
    equality: frozenset[str]
    ordered: tuple[tuple[str, str], ...]

    @property
    def fields(self) -> set[str]:
        return {*self.equality, *(name for name, _ in self.ordered)}


def needs_index(query: Any) -> Need | None:
    """What Firestore needs to serve this query (None: its built-in indexes do)."""
    scope = "COLLECTION_GROUP" if query.from_[0].all_descendants else "COLLECTION"
    filters = list(_filters(query.where if "where" in query else None))
    orders = tuple((o.field.field_path, o.direction.name) for o in query.order_by if o.field.field_path != "__name__")
    equality = frozenset(name for name, op in filters if op in EQUALITY)
    ranged = tuple((name, "ASCENDING") for name, op in filters if op not in EQUALITY and name not in dict(orders))
    if not equality and not ranged + orders:
        return None  # by name only (recursive_delete's descendants query)
    return Need(scope, equality, ranged + orders)


def declared(need: Need) -> bool:
    """Whether the stack's declarations serve it: a single-field index (automatic at collection scope unless the
    field is exempt, declared at collection-group scope), or a composite index with these fields."""
    if len(need.fields) == 1:
        (name,) = need.fields
        if need.scope == "COLLECTION":
            return name not in UNINDEXED_FIELDS
        return any(
            index.scope == need.scope and index.fields[0][0] == name for index in INDEXES if len(index.fields) == 1
        )
    width = len(need.equality)
    return any(
        index.scope == need.scope
        and len(index.fields) == width + len(need.ordered)
        and {name for name, _ in index.fields[:width]} == need.equality
        and index.fields[width:] == need.ordered
        for index in INDEXES
    )


class PermissionRecorder:
    """Stands in for one client's GAPIC layer: records the Firestore IAM permission each RPC needs (Firestore's
    table: runQuery and batchGet ``entities.get``; listCollectionIds ``entities.list``; a write with
    ``exists=false`` ``entities.create``, with a precondition ``exists=true`` ``entities.update``, without one both;
    a delete ``entities.delete``), then calls through."""

    def __init__(self, api: Any) -> None:
        self._api = api
        self.used: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._api, name)
        if name not in RPCS:
            return method

        def recorded(*args: Any, **kwargs: Any) -> Any:
            self.used |= _permissions(name, kwargs.get("request"))
            return method(*args, **kwargs)

        return recorded


def _permissions(rpc: str, request: Any) -> set[str]:
    if rpc in ("run_query", "batch_get_documents", "get_document"):
        return {"datastore.entities.get"}
    if rpc == "list_collection_ids":
        return {"datastore.entities.list"}
    writes = request.get("writes", []) if isinstance(request, dict) else list(getattr(request, "writes", []))
    needed: set[str] = set()
    for write in writes:
        pb = getattr(_as_write(write) if isinstance(write, dict) else write, "_pb", write)
        if pb.WhichOneof("operation") == "delete":
            needed.add("datastore.entities.delete")
        elif pb.HasField("current_document") and pb.current_document.HasField("exists"):
            needed.add("datastore.entities.update" if pb.current_document.exists else "datastore.entities.create")
        else:
            needed |= {"datastore.entities.create", "datastore.entities.update"}
    return needed


def _as_write(write: dict[str, Any]) -> Any:
    from google.cloud.firestore_v1.types import Write

    return Write(write)


def record_permissions(client: Any) -> PermissionRecorder:
    """Wrap a ``firestore.Client``'s GAPIC layer (every RPC, the BulkWriter's included, goes through it)."""
    from functions.lazy import LazyClient

    if isinstance(client, LazyClient):
        client.collection  # noqa: B018 - builds it
        client = client._client
    recorder = PermissionRecorder(client._firestore_api)
    client._firestore_api_internal = recorder
    return recorder
