"""The ``mem0`` backend: Mem0 Platform over its 2.x HTTP API, behaving exactly like the embedded store.

How each ``MemoryStore`` promise is kept on a service that is asynchronous and ADD-only:

- scope: every read filters on the user id AND our ``agent_type`` metadata, so agent types never mix;
- verbatim text: adds use ``infer=False``; our id, type, agent type, conversation id and ``expires_at``
  travel in metadata (plus Mem0's day-granular ``expiration_date``), and reads drop what expired by ``now``;
- idempotent ``add``: our ``Memory.id`` is looked up (and in the pending log) before posting, and reads
  collapse duplicates by it, so a redelivered event never doubles a memory;
- read-after-write: ``add`` records each accepted memory in a ``PendingLog`` and returns once Mem0 lists
  it; reads merge fresh pending entries, so a caller who calls back within seconds is recognised;
- retention: Mem0's expiry only hides, so ``delete_expired`` deletes (every page of expired items, not a
  first batch); ``erase_user`` repeats ``delete_all`` until a check finds nothing, then deletes the user entity;
- operator reads: ``scan`` is one paged listing of the agent type (not one per caller); ``users`` confirms
  Mem0's project-wide entity listing by whichever costs fewer requests (see ``users``); both count pending adds.

Reads share one ``read_timeout`` budget and raise ``StoreUnavailable`` on any failure (the service answers
"new caller"); writes and operator reads (analytics, sweep) use ``write_timeout`` per request. This module
never imports ``mem0``; wherever mem0ai itself is imported (tests, tools) set ``MEM0_ENVIRONMENT`` first.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.clock import Clock, utc_now
from shared.errors import NotFound, StoreUnavailable, Unprocessable
from shared.memory import mem0_codec as codec
from shared.memory import mem0_wire as wire
from shared.memory.mem0_pending import InMemoryPendingLog, PendingLog, PendingMemory
from shared.memory.models import Memory, ScoredMemory
from shared.memory.ranking import DEFAULT_SETTINGS, RankSettings
from shared.memory.store import MemoryStore
from shared.secrets import Secret

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger(__name__)

#: What a process importing mem0ai needs: no PostHog telemetry, a writable config dir (read-only $HOME on Lambda).
MEM0_ENVIRONMENT = {"MEM0_TELEMETRY": "False", "MEM0_DIR": "/tmp/.mem0"}

PAGE_SIZE = 100
MAX_PAGES = 50  # one caller's listing
SCAN_PAGES = 100_000  # a project-wide listing: a bound against a server that never ends, not a working cap
ID_CHUNK = 50
BATCH_DELETE = 1000
ERASE_ROUNDS = 5
_WORD = re.compile(r"\w+")


class Mem0MemoryStore(MemoryStore):
    ranks_itself = True  # Mem0 embeds and ranks on its side: no vectors are computed or sent

    def __init__(
        self,
        api_key: Secret,
        host: str = wire.DEFAULT_HOST,
        read_timeout: float = 1.5,
        write_timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = utc_now,
        *,
        pending: PendingLog | None = None,
        pending_ttl: timedelta = timedelta(minutes=10),
        visibility_timeout: float = 30.0,
        poll_interval: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = wire.Mem0Http(api_key, host, transport=transport)
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._clock = clock
        self._pending = pending if pending is not None else InMemoryPendingLog()
        self._pending_ttl = pending_ttl
        self._visibility_timeout = visibility_timeout
        self._poll_interval = poll_interval
        self._sleep = sleep
        self._monotonic = monotonic

    # -- writes (worker) -------------------------------------------------------------------------------

    def add(self, memories: Sequence[Memory]) -> int:
        groups: dict[str, dict[str, Memory]] = {}
        for memory in memories:
            _check_user_id(memory.user_id)
            groups.setdefault(memory.user_id, {}).setdefault(memory.id, memory)
        return sum(self._add_for_user(user_id, list(group.values())) for user_id, group in groups.items())

    def _add_for_user(self, user_id: str, group: list[Memory]) -> int:
        listed = self._listed_ids(user_id, [m.id for m in group])
        ids = {m.id for m in group}
        fresh = [e for e in self._pending_entries(user_id) if self._fresh(e) and e.memory.id in ids]
        if listed & {e.memory.id for e in fresh}:
            self._forget(user_id, listed & {e.memory.id for e in fresh})
        in_flight = {e.memory.id for e in fresh if e.memory.id not in listed and not self._add_failed(e)}
        waiting = [m for m in group if m.id not in listed]
        posted: list[PendingMemory] = []
        try:
            for memory in (m for m in waiting if m.id not in in_flight):
                answer = self._http.call("POST", wire.ADD, json=codec.add_body(memory), timeout=self._write_timeout)
                posted.append(PendingMemory(memory, self._clock(), _event_id(answer)))
        finally:  # one write for what was posted: a reader sees the whole call at once, a retry posts the rest
            if posted:
                self._remember(user_id, posted)
        if waiting:
            self._await_listed(user_id, {m.id for m in waiting})
        return len(waiting)

    def _add_failed(self, entry: PendingMemory) -> bool:
        """Whether Mem0 accepted this add and then failed it (a retry posts it again). Asked only of adds still
        unlisted when the event is retried; any doubt (no event id, no answer) counts as still in flight, since a
        second post of an add that is only slow would store the memory twice."""
        if entry.event_id is None:
            return False
        try:
            answer = self._http.call(
                "GET", wire.event_path(entry.event_id), timeout=self._read_timeout, missing_ok=True
            )
        except (NotFound, StoreUnavailable):
            return False
        failed = isinstance(answer, dict) and str(answer.get("status", "")).upper() == "FAILED"
        if failed:
            logger.warning("mem0 failed an add it had accepted; posting it again")
        return failed

    def _await_listed(self, user_id: str, memory_ids: set[str]) -> None:
        """Mem0 adds are asynchronous: return once it lists them, or raise so the worker retries later."""
        give_up = self._monotonic() + self._visibility_timeout
        while True:
            seen = self._listed_ids(user_id, sorted(memory_ids))
            if seen:
                self._forget(user_id, seen)
                memory_ids -= seen
            if not memory_ids:
                return
            if self._monotonic() >= give_up:
                raise StoreUnavailable("mem0 accepted the memories but does not list them yet")
            self._sleep(self._poll_interval)

    def delete(self, memory_id: str) -> None:
        items = self._list(codec.ids_filter("*", [memory_id]), self._write_timeout, show_expired=True)
        if not items:
            raise NotFound("no such memory")
        for item in items:
            self._delete_one(str(item["id"]))
            self._forget(str(item.get("user_id", "")), {memory_id})

    def erase_user(self, user_id: str) -> int:
        _check_user_id(user_id)
        try:  # erasure must not leave a copy behind: a failing log fails the erase
            erased = {e.memory.id for e in self._pending.get(user_id)}
        except Exception as exc:
            raise StoreUnavailable("the mem0 pending log could not be read") from exc
        for _ in range(ERASE_ROUNDS):
            items = self._list({"user_id": user_id}, self._write_timeout, show_expired=True)
            if not items:
                break
            erased |= {codec.memory_id_of(item) or f"mem0:{item.get('id')}" for item in items}
            with contextlib.suppress(NotFound):  # nothing left to delete: the next listing tells
                self._http.call(
                    "DELETE", wire.MEMORIES, params={"user_id": user_id}, timeout=self._write_timeout, missing_ok=True
                )
        else:
            raise StoreUnavailable("mem0 still lists memories of the caller after repeated deletes")
        with contextlib.suppress(NotFound):  # no entity left: nothing more to erase
            self._http.call("DELETE", wire.entity_path("user", user_id), timeout=self._write_timeout, missing_ok=True)
        try:
            self._pending.erase(user_id)
        except Exception as exc:
            raise StoreUnavailable("the mem0 pending log could not be cleared") from exc
        return len(erased)

    def delete_expired(self, now: datetime) -> int:
        try:  # entries past the pending TTL are read by nothing; a local log keeps them until pruned
            self._pending.prune(lambda entry: entry.posted_at + self._pending_ttl <= now)
        except Exception:
            logger.warning("mem0 pending log not pruned; the next sweep tries again", exc_info=True)
        expired: dict[str, list[str]] = {}
        found = list(self._pages(codec.expired_filter(now), self._write_timeout, show_expired=True, pages=SCAN_PAGES))
        for item in found:  # listed in full before deleting: deletes would shift the pages under us
            memory = codec.memory_from_item(item)
            if memory is not None and memory.is_expired(now):
                expired.setdefault(memory.id, []).append(str(item["id"]))
        mem0_ids = [mem0_id for ids in expired.values() for mem0_id in ids]
        for start in range(0, len(mem0_ids), BATCH_DELETE):
            chunk = [{"memory_id": mem0_id} for mem0_id in mem0_ids[start : start + BATCH_DELETE]]
            self._http.call("DELETE", wire.BATCH, json={"memories": chunk}, timeout=self._write_timeout)
        return len(expired)

    # -- reads (pre-call and tool path) ----------------------------------------------------------------

    def get_all(
        self,
        user_id: str,
        agent_type: str,
        *,
        now: datetime,
        types: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[Memory]:
        if (types is not None and not types) or (limit is not None and limit <= 0):
            return []
        deadline = wire.Deadline(self._read_timeout, monotonic=self._monotonic)
        items = self._list(codec.scope_filter(user_id, agent_type, types), deadline)
        found = codec.live(codec.decoded(items), user_id, agent_type, types, now)
        for memory in self._pending_for(user_id, agent_type, types, now):
            found.setdefault(memory.id, memory)
        newest = sorted(found.values(), key=lambda m: (m.created_at, m.id), reverse=True)
        return newest if limit is None else newest[:limit]

    def search(
        self,
        user_id: str,
        agent_type: str,
        query: str,
        *,
        now: datetime,
        limit: int,
        types: Sequence[str] | None = None,
        settings: RankSettings = DEFAULT_SETTINGS,
        query_vector: Sequence[float] | None = None,
    ) -> list[ScoredMemory]:
        """Mem0 ranks with its own embeddings: ``settings`` and ``query_vector`` do not apply."""
        query = query.strip()
        if not query or limit <= 0 or (types is not None and not types):
            return []
        body = {"query": query, "filters": codec.scope_filter(user_id, agent_type, types), "top_k": limit}
        data = self._http.call("POST", wire.SEARCH, json=body, timeout=self._read_timeout)
        items = codec.results(data)
        scores: dict[str | None, float] = {}
        for item in items:
            mid = codec.memory_id_of(item)
            scores[mid] = max(scores.get(mid, 0.0), codec.score(item))
        found = {
            mid: ScoredMemory(memory, scores.get(mid, 0.0))
            for mid, memory in codec.live(codec.decoded(items), user_id, agent_type, types, now).items()
        }
        words = set(_WORD.findall(query.lower()))
        for memory in self._pending_for(user_id, agent_type, types, now):
            overlap = len(words & set(_WORD.findall(memory.text.lower()))) / max(len(words), 1)
            if overlap > 0 and memory.id not in found:
                found[memory.id] = ScoredMemory(memory, overlap)
        return sorted(found.values(), key=lambda s: s.score, reverse=True)[:limit]

    # -- operator reads (analytics, admin) --------------------------------------------------------------

    def users(self, agent_type: str, *, now: datetime) -> list[str]:
        """Mem0's entity listing names every user of the project with a memory count, whatever the agent type,
        so each candidate is confirmed. Of two correct ways the one with fewer requests is taken: one listing
        of the agent type's memories (about total / PAGE_SIZE pages) or one scoped listing per candidate
        (callers with many memories each). Pending adds count, even for a caller Mem0 does not list yet."""
        found = {memory.user_id for memory in self._pending_scan(agent_type, now)}
        try:
            counts = self._entity_users()
        except NotFound:  # a Mem0 host without the entity listing: the scan alone answers
            counts = {}
        if -(-sum(counts.values()) // PAGE_SIZE) <= len(counts):
            found |= {memory.user_id for memory in self._listed_scan(agent_type, now)}
        else:
            found |= {user_id for user_id in counts if user_id in found or self._has_live(user_id, agent_type, now)}
        return sorted(found)

    def scan(self, agent_type: str, *, now: datetime) -> Iterator[Memory]:
        """One paged listing of the agent type (the default would list callers, then each caller), then pending."""
        seen: set[str] = set()
        for memory in itertools.chain(self._listed_scan(agent_type, now), self._pending_scan(agent_type, now)):
            if memory.id not in seen:
                seen.add(memory.id)
                yield memory

    def close(self) -> None:
        self._http.close()

    # -- helpers ---------------------------------------------------------------------------------------

    def _list(
        self, filters: Mapping[str, Any], timeout: float | wire.Deadline, *, show_expired: bool = False
    ) -> list[Mapping[str, Any]]:
        """Every page of ``POST /v3/memories/`` for these filters (one caller's: at most MAX_PAGES)."""
        return list(self._pages(filters, timeout, show_expired=show_expired))

    def _pages(
        self,
        filters: Mapping[str, Any],
        timeout: float | wire.Deadline,
        *,
        show_expired: bool = False,
        pages: int = MAX_PAGES,
    ) -> Iterator[Mapping[str, Any]]:
        """The listed items, one request per page and only as far as the consumer reads."""
        body: dict[str, Any] = {"filters": filters}
        if show_expired:
            body["show_expired"] = True
        for page in range(1, pages + 1):
            data = self._http.call(
                "POST", wire.LIST, json=body, params={"page": page, "page_size": PAGE_SIZE}, timeout=timeout
            )
            results = codec.results(data)
            yield from results
            if not results or not (isinstance(data, Mapping) and data.get("next")):
                return
        logger.warning("mem0 listing stopped after %d pages; the rest is not read", pages)

    def _entity_users(self) -> dict[str, int]:
        """``GET /v1/entities/`` as mem0ai's ``users()`` sends it, following ``next`` while there is one."""
        counts: dict[str, int] = {}
        params: dict[str, str] | None = None
        for _ in range(SCAN_PAGES):
            data = self._http.call("GET", wire.ENTITIES, params=params, timeout=self._write_timeout, missing_ok=True)
            counts.update(codec.entity_users(data))
            params = codec.next_page(data)
            if params is None:
                return counts
        raise StoreUnavailable("mem0 entity listing does not end")

    def _listed_scan(self, agent_type: str, now: datetime) -> Iterator[Memory]:
        for item in self._pages(codec.agent_filter(agent_type), self._write_timeout, pages=SCAN_PAGES):
            memory = codec.memory_from_item(item) if item.get("user_id") else None
            if memory is not None and memory.agent_type == agent_type and not memory.is_expired(now):
                yield memory  # re-checked here: filters are Mem0's promise, and it hides by whole days only

    def _has_live(self, user_id: str, agent_type: str, now: datetime) -> bool:
        """Stops at the first live memory: usually one request."""
        items = self._pages(codec.scope_filter(user_id, agent_type), self._write_timeout)
        return any(codec.live(codec.decoded([item]), user_id, agent_type, None, now) for item in items)

    def _pending_scan(self, agent_type: str, now: datetime) -> Iterator[Memory]:
        try:
            callers = self._pending.callers()
        except Exception:
            logger.warning("mem0 pending log unreadable; going by what Mem0 lists", exc_info=True)
            return
        for user_id in callers:
            yield from self._pending_for(user_id, agent_type, None, now)

    def _listed_ids(self, user_id: str, memory_ids: Sequence[str]) -> set[str]:
        listed: set[str] = set()
        for start in range(0, len(memory_ids), ID_CHUNK):
            chunk = list(memory_ids[start : start + ID_CHUNK])
            items = self._list(codec.ids_filter(user_id, chunk), self._write_timeout, show_expired=True)
            listed |= {mid for mid in map(codec.memory_id_of, items) if mid in chunk}
        return listed

    def _delete_one(self, mem0_id: str) -> None:
        with contextlib.suppress(NotFound):  # deleted meanwhile: the goal is reached
            self._http.call("DELETE", wire.memory_path(mem0_id), timeout=self._write_timeout, missing_ok=True)

    def _fresh(self, entry: PendingMemory) -> bool:
        return entry.posted_at + self._pending_ttl > self._clock()

    def _pending_for(
        self, user_id: str, agent_type: str, types: Sequence[str] | None, now: datetime
    ) -> Iterable[Memory]:
        entries = [e.memory for e in self._pending_entries(user_id) if self._fresh(e)]
        return codec.live({m.id: m for m in entries}, user_id, agent_type, types, now).values()

    # The pending log only narrows Mem0's asynchronous window: when it fails, Mem0 alone answers and decides.

    def _pending_entries(self, user_id: str) -> list[PendingMemory]:
        try:
            return self._pending.get(user_id)
        except Exception:
            logger.warning("mem0 pending log unreadable; going by what Mem0 lists", exc_info=True)
            return []

    def _remember(self, user_id: str, entries: list[PendingMemory]) -> None:
        try:
            self._pending.put(user_id, entries)
        except Exception:
            logger.warning("mem0 pending log unwritable; the memory shows once Mem0 lists it", exc_info=True)

    def _forget(self, user_id: str, memory_ids: set[str]) -> None:
        try:
            self._pending.remove(user_id, memory_ids)
        except Exception:
            logger.warning("mem0 pending log entries not removed; they lapse after the pending TTL", exc_info=True)


def _event_id(answer: object) -> str | None:
    """The add's event id (``{"event_id": "...", "status": "PENDING"}``), if Mem0 gave one."""
    event_id = answer.get("event_id") if isinstance(answer, dict) else None
    return event_id if isinstance(event_id, str) and event_id else None


def _check_user_id(user_id: str) -> None:
    """``""`` or ``"*"`` would make Mem0's deletes match every caller in the project."""
    if not user_id or not user_id.strip() or "*" in user_id:
        raise Unprocessable("invalid user id")
