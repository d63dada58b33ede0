"""The memory store on DynamoDB (``MEMORY_BACKEND=dynamodb``): one table per stack, in the customer's account.

The layout is ``functions.aws.store_items``. What DynamoDB does not do for us, done here:
- adds are idempotent and all-or-nothing per call: conditional puts in transactions of at most 100 actions; a
  memory already stored is reported by the cancellation and left as it is; a transaction cancelled because a
  concurrent one held an item (``TransactionConflict``, which botocore does not retry) goes again after a jittered
  backoff. Nothing shared by several callers is in a transaction: the day markers analytics lists are conditional
  puts of their own, before the transaction, at most once per day, agent type and expiry in a process;
- reads page (1 MB, and ``Limit`` counts items read before the filter) and drop expired items themselves, since
  TTL deletes them up to two days late;
- erasure is a key-only Query of the caller's partition (every agent type), then deletes in batches of 25,
  retrying ``UnprocessedItems``.
Reads on the pre-call path use ``client`` (tight timeouts); writes, sweeps, erasures and analytics use
``write_client`` (longer ones: a transaction may carry 4 MB). Every failure is one ``StoreUnavailable`` naming the
operation, never the caller or the content.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from functions.aws.errors import error_code
from functions.aws.store_items import (
    BY_DAY,
    BY_EXPIRY,
    BY_ID,
    EXPIRY_SHARDS,
    KEY_ATTRIBUTES,
    agent_prefix,
    caller_key,
    day_marker,
    days_key,
    expiry_bound,
    from_item,
    is_live,
    key_of,
    marker_condition,
    stamp,
    to_item,
    ttl_of,
)
from shared.errors import NotFound, StoreUnavailable
from shared.memory.models import Memory
from shared.memory.store import MemoryStore

TRANSACTION_LIMIT = 100  # TransactWriteItems' actions per request
BATCH_LIMIT = 25  # BatchWriteItem's requests per call
BATCH_ATTEMPTS = 8  # UnprocessedItems retries before giving up (exponential backoff from BACKOFF_SECONDS)
BACKOFF_SECONDS = 0.05
TRANSACTION_ATTEMPTS = 5  # a transaction cancelled by a conflict (or throttling) goes again, with jittered backoff
READ_THREADS = 8
_CONDITION_FAILED = "ConditionalCheckFailed"
# Cancellation reasons that say "try again": another transaction held the item, or the request was throttled.
_TRANSIENT = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})
Item = dict[str, dict[str, Any]]


class DynamoDBMemoryStore(MemoryStore):
    """``client`` is a low-level boto3 DynamoDB client (or a ``LazyClient`` of one) for the pre-call path's reads;
    ``write_client`` (default: the same) serves writes, sweeps, erasures and analytics. ``sleep`` paces retries,
    ``jitter`` (a fraction in [0, 1)) spreads them."""

    def __init__(
        self,
        table: str,
        *,
        client: Any,
        write_client: Any = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._table = table
        self._db = client
        self._writer = client if write_client is None else write_client
        self._sleep = sleep
        self._jitter = jitter
        self._marked: dict[tuple[str, str], int | None] = {}  # (agent, day) -> the marker's ttl known stored

    # writes ---------------------------------------------------------------------------------------------------

    def add(self, memories: Sequence[Memory]) -> int:
        unique = list({memory.id: memory for memory in memories}.values())
        self._mark_days(unique)
        return sum(
            self._add_chunk(unique[start : start + TRANSACTION_LIMIT])
            for start in range(0, len(unique), TRANSACTION_LIMIT)
        )

    def _mark_days(self, memories: Sequence[Memory]) -> None:
        """The day markers of these memories, before their transactions (a marker of a day whose memories then
        failed to go in only costs analytics an empty query). Each marker is one item every call of that day
        shares, so it is a put of its own, never in a transaction: concurrent puts of one item do not conflict.
        Its ``ttl`` is the latest of its memories' (none if one never expires), raised but never lowered by the
        put's condition; a process puts each (day, ttl) once."""
        wanted: dict[tuple[str, str], int | None] = {}
        for memory in memories:
            key, ttl = (memory.agent_type, stamp(memory.created_at)[:10]), ttl_of(memory)
            if key not in wanted or _outlives(ttl, wanted[key]):
                wanted[key] = ttl
        for (agent_type, day), ttl in sorted(wanted.items()):
            if (agent_type, day) in self._marked and not _outlives(ttl, self._marked[(agent_type, day)]):
                continue
            condition, names, values = marker_condition(ttl)
            try:
                self._writer.put_item(
                    TableName=self._table,
                    Item=day_marker(agent_type, day, ttl),
                    ConditionExpression=condition,
                    ExpressionAttributeNames=names,
                    **({"ExpressionAttributeValues": values} if values else {}),
                )
            except Exception as exc:
                if error_code(exc) != _CONDITION_FAILED + "Exception":  # stored already, with a ttl as late
                    raise StoreUnavailable("memory store write failed") from exc
            self._marked[(agent_type, day)] = ttl

    def _add_chunk(self, memories: list[Memory]) -> int:
        """One transaction: a conditional put per memory. When some memories exist already, the cancellation says
        which; the rest go again without them. A conflict with a concurrent transaction (the same event delivered
        twice at once) or throttling goes again after a jittered, growing pause."""
        pending, attempt = list(memories), 0
        while pending:
            actions = [
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_item(m),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
                for m in pending
            ]
            try:
                self._writer.transact_write_items(TransactItems=actions)
                return len(pending)
            except Exception as exc:
                reasons = _cancellation_codes(exc)
                if _CONDITION_FAILED in reasons:
                    kept = [m for m, code in zip(pending, reasons, strict=False) if code != _CONDITION_FAILED]
                    if len(kept) == len(pending):
                        raise StoreUnavailable("memory store write failed") from exc
                    pending = kept
                    continue
                attempt += 1
                if not _TRANSIENT & set(reasons) or attempt >= TRANSACTION_ATTEMPTS:
                    raise StoreUnavailable("memory store write failed") from exc
                self._sleep(BACKOFF_SECONDS * 2 ** (attempt - 1) * (0.5 + self._jitter() / 2))
        return 0

    def delete(self, memory_id: str) -> None:
        keys = self._query_all(
            self._writer,
            IndexName=BY_ID,
            KeyConditionExpression="mid = :id",
            ExpressionAttributeValues={":id": {"S": memory_id}},
        )
        if not keys:
            raise NotFound("no such memory")
        self._delete_keys([_key(item) for item in keys])

    def erase_user(self, user_id: str) -> int:
        keys = self._query_all(
            self._writer,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": caller_key(user_id)}},
            ProjectionExpression="pk, sk",
            ConsistentRead=True,
        )
        self._delete_keys([_key(item) for item in keys])
        return len(keys)

    def delete_expired(self, now: datetime) -> int:
        """Expired memories by the expiry index, one Query per shard: no scan, and not waiting for TTL."""
        keys: list[Item] = []
        for shard in range(EXPIRY_SHARDS):
            keys += self._query_all(
                self._writer,
                IndexName=BY_EXPIRY,
                KeyConditionExpression="xpk = :shard AND xsk < :bound",
                ExpressionAttributeValues={":shard": {"S": f"X#{shard}"}, ":bound": {"S": expiry_bound(now)}},
            )
        self._delete_keys([_key(item) for item in keys])
        return len(keys)

    def _delete_keys(self, keys: list[Item]) -> None:
        """BatchWriteItem deletes, 25 a call; what DynamoDB leaves unprocessed is sent again, with backoff."""
        for start in range(0, len(keys), BATCH_LIMIT):
            requests: list[dict[str, Any]] = [
                {"DeleteRequest": {"Key": key}} for key in keys[start : start + BATCH_LIMIT]
            ]
            for attempt in range(BATCH_ATTEMPTS):
                try:
                    answer = self._writer.batch_write_item(RequestItems={self._table: requests})
                except Exception as exc:
                    raise StoreUnavailable("memory store delete failed") from exc
                requests = (answer.get("UnprocessedItems") or {}).get(self._table) or []
                if not requests:
                    break
                self._sleep(BACKOFF_SECONDS * 2**attempt)
            else:
                raise StoreUnavailable(f"memory store delete left {len(requests)} item(s) unprocessed")

    # reads ----------------------------------------------------------------------------------------------------

    def get_all(
        self,
        user_id: str,
        agent_type: str,
        *,
        now: datetime,
        types: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[Memory]:
        if (limit is not None and limit <= 0) or (types is not None and not types):
            return []
        values: dict[str, dict[str, str]] = {
            ":pk": {"S": caller_key(user_id)},
            ":prefix": {"S": agent_prefix(agent_type)},
            ":now": {"S": stamp(now)},
        }
        live = "(attribute_not_exists(expires_at) OR expires_at > :now)"
        if types is not None:
            values.update({f":t{i}": {"S": kind} for i, kind in enumerate(types)})
            live += f" AND #type IN ({', '.join(f':t{i}' for i in range(len(types)))})"
        query: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "FilterExpression": live,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            "ConsistentRead": True,  # a caller who rings back seconds later is recognised
        }
        if types is not None:
            query["ExpressionAttributeNames"] = {"#type": "type"}
        found: list[Memory] = []
        for item in self._pages(self._db, query, limit=limit):
            if is_live(item, now):
                found.append(from_item(item))
                if limit is not None and len(found) >= limit:
                    break
        return found

    def set_vectors(self, memories: Sequence[Memory]) -> int:
        """Each memory's vector onto its item: conditional updates (never recreating a memory deleted meanwhile),
        several at a time, since this runs in the tool call the first time old memories are searched."""
        wanted = [memory for memory in memories if memory.vector is not None]
        with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
            return sum(pool.map(self._set_vector, wanted))

    def _set_vector(self, memory: Memory) -> int:
        assert memory.vector is not None
        try:
            self._db.update_item(
                TableName=self._table,
                Key=key_of(memory),
                UpdateExpression="SET vector = :vector",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":vector": {"B": memory.vector}},
            )
        except Exception as exc:
            if error_code(exc) == _CONDITION_FAILED + "Exception":
                return 0
            raise StoreUnavailable("memory store update failed") from exc
        return 1

    def users(self, agent_type: str, *, now: datetime) -> list[str]:
        return sorted({memory.user_id for memory in self.scan(agent_type, now=now)})

    def scan(self, agent_type: str, *, now: datetime) -> Iterator[Memory]:
        """Day by day on the ``by_day`` index (the days listed by their markers), several days at a time."""
        days = [
            item["sk"]["S"]
            for item in self._query_all(
                self._writer,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": days_key(agent_type)}},
            )
        ]
        with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
            for items in pool.map(lambda day: self._day(agent_type, day), days):
                yield from (from_item(item) for item in items if is_live(item, now))

    def _day(self, agent_type: str, day: str) -> list[Item]:
        return self._query_all(
            self._writer,
            IndexName=BY_DAY,
            KeyConditionExpression="dpk = :day",
            ExpressionAttributeValues={":day": {"S": f"A#{agent_type}#{day}"}},
        )

    def _query_all(self, db: Any, **query: Any) -> list[Item]:
        return list(self._pages(db, query))

    def _pages(self, db: Any, query: Mapping[str, Any], *, limit: int | None = None) -> Iterator[Item]:
        """Every item the query reads with ``db``, page after page (``LastEvaluatedKey``); ``limit`` only sizes the
        pages."""
        request: dict[str, Any] = {"TableName": self._table, **query}
        if limit is not None:
            request["Limit"] = max(limit, 25)
        while True:
            try:
                page = db.query(**request)
            except Exception as exc:
                raise StoreUnavailable(f"memory store read failed ({error_code(exc) or type(exc).__name__})") from exc
            yield from page.get("Items", [])
            if not page.get("LastEvaluatedKey"):
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _outlives(ttl: int | None, known: int | None) -> bool:
    """Whether a marker with ``ttl`` would last longer than one with ``known`` (``None``: forever)."""
    return known is not None and (ttl is None or ttl > known)


def _key(item: Item) -> Item:
    return {name: item[name] for name in KEY_ATTRIBUTES}


def _cancellation_codes(exc: Exception) -> list[str]:
    """Per action, why a cancelled transaction was cancelled (``None`` for actions that were fine)."""
    if error_code(exc) != "TransactionCanceledException":
        return []
    reasons = getattr(exc, "response", {}).get("CancellationReasons") or []
    return [str(reason.get("Code", "None")) for reason in reasons]


__all__ = ["DynamoDBMemoryStore"]
