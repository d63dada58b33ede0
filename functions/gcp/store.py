"""The memory store on Firestore (native mode), in the stack's own database: a document per memory under its caller.

Layout: ``callers/{caller}/memories/{memory id}``; every field of ``Memory`` is a document field of the same name
(datetimes as timestamps, bytes as bytes), so a field added to ``Memory`` is stored and read back with no change
here. What each method costs, and the indexes the stack declares for it (``INDEXES``; the emulator does not
enforce indexes, the real service does):

- ``add``: one atomic batch of ``create`` writes (500 at most per commit); a batch that meets an id already
  stored (a redelivered event) is retried one ``create`` at a time, so an add is idempotent and counts what is new.
- ``get_all``, ``page``, ``search`` (the shared ranking over ``get_all``): one query on the caller's memories of
  the agent type, newest first
  (composite index ``agent_type`` ASC, ``created_at`` DESC). Expired documents are filtered here: the TTL policy
  on ``expires_at`` deletes them up to 24 hours late.
- ``erase_user``: ``recursive_delete`` of the caller's document (every agent type, whatever lies beneath).
- ``delete``, ``delete_expired``, ``users``, ``scan``: collection-group queries on ``id``, ``expires_at`` and
  ``agent_type`` (single-field collection-group indexes). The other fields are exempt from indexing: nothing
  queries them, and a vector or a long text would only cost index storage. The sweep, analytics and reindex
  (``delete_expired``, ``scan``, ``users``) read the whole group in pages of ``GROUP_PAGE``, each resumed after the
  last document of the one before and bounded by ``scan_timeout`` on its own, so they finish at any size; the
  pre-call's ``timeout`` bounds only the per-caller reads.

Errors of the client library become ``StoreUnavailable``; the library is imported only when the client is built.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from functions.lazy import LazyClient
from shared.errors import ConfigError, NotFound, StoreUnavailable
from shared.memory.models import Memory
from shared.memory.store import MemoryStore

CALLERS = "callers"
MEMORIES = "memories"
EXPIRY_FIELD = "expires_at"
BATCH_LIMIT = 500  # writes per commit
PAGE = 200  # documents per query page while skipping expired ones
DEFAULT_TIMEOUT_SECONDS = 1.5  # the pre-call's budget for one read
WRITE_TIMEOUT_SECONDS = 10.0
SCAN_TIMEOUT_SECONDS = 10.0  # one page of the sweep's, analytics' or reindex's collection-group read
GROUP_PAGE = 500  # documents per page of those reads (and the sweep deletes a page per commit)
ALREADY_EXISTS = 409
NOT_FOUND = 404

MEMORY_FIELDS = tuple(f.name for f in fields(Memory))


@dataclass(frozen=True)
class Index:
    """A Firestore index the store's queries need: ``fields`` as (field, ``ASCENDING``|``DESCENDING``) pairs;
    ``COLLECTION`` scope for queries under one caller, ``COLLECTION_GROUP`` for queries across callers."""

    fields: tuple[tuple[str, str], ...]
    scope: str = "COLLECTION"


#: The composite index of the per-caller read.
CALLER_READ = Index((("agent_type", "ASCENDING"), ("created_at", "DESCENDING")))
#: Single-field collection-group indexes (field overrides): delete by id, the sweep, analytics.
COLLECTION_GROUP_FIELDS = ("id", "agent_type", EXPIRY_FIELD)
INDEXES = (CALLER_READ, *(Index(((name, "ASCENDING"),), "COLLECTION_GROUP") for name in COLLECTION_GROUP_FIELDS))
#: Fields no query filters or orders on: exempt from Firestore's automatic single-field indexes.
UNINDEXED_FIELDS = tuple(
    name for name in MEMORY_FIELDS if name not in {*COLLECTION_GROUP_FIELDS, *(f for f, _ in CALLER_READ.fields)}
)

_SAFE_ID = re.compile(r"[A-Za-z0-9+_.@:=-]{1,256}")


def document_id(value: str) -> str:
    """A Firestore document id for a caller or memory id: itself when safe (E.164 numbers, our ids), else a hash
    (ids may not contain ``/``, be ``.``/``..`` or look like ``__x__``)."""
    if _SAFE_ID.fullmatch(value) and value not in (".", "..") and not value.startswith("__"):
        return value
    return "~" + hashlib.sha256(value.encode()).hexdigest()


def to_document(memory: Memory) -> dict[str, Any]:
    return {name: getattr(memory, name) for name in MEMORY_FIELDS}


def _plain(value: Any) -> Any:
    """Firestore returns ``DatetimeWithNanoseconds``; the core compares plain UTC datetimes."""
    if isinstance(value, datetime):
        return datetime(
            value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond, tzinfo=UTC
        )
    return value


def from_document(data: dict[str, Any]) -> Memory:
    return Memory(**{name: _plain(data[name]) for name in MEMORY_FIELDS if name in data})


def _retry(total_seconds: float) -> Any:
    """Retries within ``total_seconds`` in all: the library's own default retries a read for 300 s, far past a
    pre-call's budget (a per-attempt ``timeout`` alone does not bound it)."""
    from google.api_core import exceptions, retry

    transient = (exceptions.DeadlineExceeded, exceptions.InternalServerError, exceptions.ServiceUnavailable)
    return retry.Retry(
        predicate=retry.if_exception_type(*transient), initial=0.05, maximum=1.0, multiplier=2, timeout=total_seconds
    )


def _firestore_client(project: str | None, database: str) -> Any:
    from google.cloud import firestore

    return firestore.Client(project=project, database=database)


def store_from_environ(environ: Mapping[str, str], *, read_timeout: float = DEFAULT_TIMEOUT_SECONDS) -> MemoryStore:
    """The stack's database (``FIRESTORE_DATABASE``, in ``FIRESTORE_PROJECT`` or the function's own project); the
    client is built on first use."""
    database = environ.get("FIRESTORE_DATABASE")
    if not database:
        raise ConfigError("MEMORY_BACKEND=firestore needs FIRESTORE_DATABASE (the stack's Firestore database)")
    return FirestoreMemoryStore(
        project=environ.get("FIRESTORE_PROJECT") or None, database=database, timeout=read_timeout
    )


class FirestoreMemoryStore(MemoryStore):
    """``client``: a ``google.cloud.firestore.Client`` on the stack's database (built on first use when given a
    factory). ``timeout`` bounds each read of one caller (the pre-call path), ``write_timeout`` each write and
    ``scan_timeout`` each page of a read across callers (the sweep, analytics, reindex)."""

    def __init__(
        self,
        client: Any = None,
        *,
        project: str | None = None,
        database: str = "(default)",
        client_factory: Callable[[], Any] | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        write_timeout: float = WRITE_TIMEOUT_SECONDS,
        scan_timeout: float = SCAN_TIMEOUT_SECONDS,
    ) -> None:
        self._client = (
            client
            if client is not None
            else LazyClient(client_factory or (lambda: _firestore_client(project, database)))
        )
        self._timeout = timeout
        self._write_timeout = write_timeout
        self._scan_timeout = scan_timeout
        self._read_retry: Any = None
        self._write_retry: Any = None
        self._scan_retry: Any = None

    def _reads(self) -> dict[str, Any]:
        if self._read_retry is None:
            self._read_retry = _retry(self._timeout)
        return {"retry": self._read_retry, "timeout": self._timeout}

    def _writes(self) -> dict[str, Any]:
        if self._write_retry is None:
            self._write_retry = _retry(self._write_timeout)
        return {"retry": self._write_retry, "timeout": self._write_timeout}

    def _scans(self) -> dict[str, Any]:
        if self._scan_retry is None:
            self._scan_retry = _retry(self._scan_timeout)
        return {"retry": self._scan_retry, "timeout": self._scan_timeout}

    # paths and queries ----------------------------------------------------------------------------------------------

    def _db(self) -> Any:
        """The client, built now if it was not (a missing credential or library is the store being unavailable)."""
        if isinstance(self._client, LazyClient) and not self._client.built:
            try:
                self._client.collection  # noqa: B018 - builds the client
            except Exception as exc:
                raise StoreUnavailable("the Firestore memory store failed") from exc
        return self._client

    def _caller(self, user_id: str) -> Any:
        return self._db().collection(CALLERS).document(document_id(user_id))

    def _group_where(self, field: str, op: str, value: Any) -> Any:
        from google.cloud.firestore_v1 import FieldFilter

        return self._db().collection_group(MEMORIES).where(filter=FieldFilter(field, op, value))

    def _caller_read(self, user_id: str, agent_type: str) -> Any:
        from google.cloud.firestore_v1 import FieldFilter, Query

        memories = self._caller(user_id).collection(MEMORIES)
        return memories.where(filter=FieldFilter("agent_type", "==", agent_type)).order_by(
            "created_at", direction=Query.DESCENDING
        )

    def _stream(self, query: Any, options: Mapping[str, Any] | None = None) -> Iterator[Any]:
        try:
            yield from query.stream(**(self._reads() if options is None else options))
        except Exception as exc:
            raise StoreUnavailable("the Firestore memory store failed") from exc

    def _group_pages(self, query: Any) -> Iterator[list[Any]]:
        """A collection-group query's documents, a page (``GROUP_PAGE``) per query, each page resumed after the last
        document of the one before (its order-by values and name) under a deadline of its own: no single query has
        to stream the whole group within one deadline."""
        after = None
        while True:
            page = query if after is None else query.start_after(after)
            snapshots = list(self._stream(page.limit(GROUP_PAGE), self._scans()))
            if snapshots:
                yield snapshots
            if len(snapshots) < GROUP_PAGE:
                return
            after = snapshots[-1]

    def _by_agent(self, agent_type: str) -> Any:
        from google.cloud.firestore_v1.field_path import FieldPath

        return self._group_where("agent_type", "==", agent_type).order_by(FieldPath.document_id())

    # the port -------------------------------------------------------------------------------------------------------

    def add(self, memories: Sequence[Memory]) -> int:
        added = 0
        for start in range(0, len(memories), BATCH_LIMIT):
            added += self._add_chunk(memories[start : start + BATCH_LIMIT])
        return added

    def _add_chunk(self, chunk: Sequence[Memory]) -> int:
        """One commit for the whole chunk; only when an id is already there, one create each to keep the rest."""
        if not chunk:
            return 0
        try:
            batch = self._db().batch()
            for memory in chunk:
                batch.create(self._document(memory), to_document(memory))
            batch.commit(**self._writes())
            return len(chunk)
        except Exception as exc:
            if getattr(exc, "code", None) != ALREADY_EXISTS:
                raise StoreUnavailable("the Firestore memory store failed") from exc
        added = 0
        for memory in chunk:
            try:
                self._document(memory).create(to_document(memory), **self._writes())
                added += 1
            except Exception as exc:
                if getattr(exc, "code", None) != ALREADY_EXISTS:
                    raise StoreUnavailable("the Firestore memory store failed") from exc
        return added

    def _document(self, memory: Memory) -> Any:
        return self._caller(memory.user_id).collection(MEMORIES).document(document_id(memory.id))

    def get_all(
        self,
        user_id: str,
        agent_type: str,
        *,
        now: datetime,
        types: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[Memory]:
        return list(self._live(user_id, agent_type, now=now, types=types, limit=limit))

    def _live(
        self, user_id: str, agent_type: str, *, now: datetime, types: Sequence[str] | None, limit: int | None
    ) -> Iterator[Memory]:
        """Newest first, skipping expired (and unwanted types) page by page until ``limit`` are found."""
        if limit is not None and limit <= 0:
            return
        query, found, after = self._caller_read(user_id, agent_type), 0, None
        page_size = None if limit is None else max(limit, 1) + (0 if types is None else PAGE)
        while True:
            page = query if after is None else query.start_after(after)
            snapshots = list(self._stream(page if page_size is None else page.limit(page_size)))
            for snapshot in snapshots:
                memory = from_document(snapshot.to_dict())
                if memory.is_expired(now) or (types is not None and memory.type not in types):
                    continue
                yield memory
                found += 1
                if limit is not None and found >= limit:
                    return
            if page_size is None or len(snapshots) < page_size:
                return
            after = snapshots[-1]

    def set_vectors(self, memories: Sequence[Memory]) -> int:
        """Each memory's vector onto its document; a memory deleted meanwhile is not recreated."""
        updated = 0
        for memory in memories:
            if memory.vector is None:
                continue
            try:
                self._document(memory).update({"vector": memory.vector}, **self._writes())
                updated += 1
            except Exception as exc:
                if getattr(exc, "code", None) != NOT_FOUND:
                    raise StoreUnavailable("the Firestore memory store failed") from exc
        return updated

    def delete(self, memory_id: str) -> None:
        from google.cloud.firestore_v1.field_path import FieldPath

        found = list(self._stream(self._group_where("id", "==", memory_id).select([FieldPath.document_id()])))
        if not found:
            raise NotFound("no such memory")
        self._delete_all(snapshot.reference for snapshot in found)

    def erase_user(self, user_id: str) -> int:
        """Every memory of the caller in every agent type: ``recursive_delete`` also counts the caller document."""
        try:
            return max(int(self._db().recursive_delete(self._caller(user_id))) - 1, 0)
        except Exception as exc:
            raise StoreUnavailable("the Firestore memory store failed") from exc

    def delete_expired(self, now: datetime) -> int:
        """The sweep: what the TTL policy has not deleted yet (it lags up to 24 hours), a page at a time."""
        expired = self._group_where(EXPIRY_FIELD, "<=", now).order_by(EXPIRY_FIELD).select([EXPIRY_FIELD])
        return sum(self._delete_all(s.reference for s in page) for page in self._group_pages(expired))

    def _delete_all(self, references: Iterator[Any]) -> int:
        deleted, batch = 0, self._db().batch()
        try:
            for reference in references:
                batch.delete(reference)
                deleted += 1
                if deleted % BATCH_LIMIT == 0:
                    batch.commit(**self._writes())
                    batch = self._db().batch()
            if deleted % BATCH_LIMIT:
                batch.commit(**self._writes())
        except StoreUnavailable:
            raise
        except Exception as exc:
            raise StoreUnavailable("the Firestore memory store failed") from exc
        return deleted

    # operator reads -------------------------------------------------------------------------------------------------

    def users(self, agent_type: str, *, now: datetime) -> list[str]:
        live: dict[str, None] = {}
        for page in self._group_pages(self._by_agent(agent_type).select(["user_id", EXPIRY_FIELD])):
            for snapshot in page:
                expires = snapshot.get(EXPIRY_FIELD)
                if expires is None or _plain(expires) > now:
                    live[str(snapshot.get("user_id"))] = None
        return list(live)

    def scan(self, agent_type: str, *, now: datetime) -> Iterator[Memory]:
        for page in self._group_pages(self._by_agent(agent_type)):
            for snapshot in page:
                memory = from_document(snapshot.to_dict())
                if not memory.is_expired(now):
                    yield memory

    def page(self, user_id: str, agent_type: str, *, now: datetime, limit: int, offset: int = 0) -> list[Memory]:
        if limit <= 0:
            return []
        return self.get_all(user_id, agent_type, now=now, limit=max(offset, 0) + limit)[max(offset, 0) :]

    def close(self) -> None:
        if not isinstance(self._client, LazyClient) or self._client.built:
            try:
                self._client.close()
            except Exception:  # closing is best effort: the instance is going away
                return


__all__ = [
    "CALLERS",
    "EXPIRY_FIELD",
    "INDEXES",
    "MEMORIES",
    "UNINDEXED_FIELDS",
    "FirestoreMemoryStore",
    "Index",
    "document_id",
    "store_from_environ",
]
