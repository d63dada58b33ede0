"""The DynamoDB store's own duties, on moto: what moto does not enforce (batches of 25, transactions of 100, TTL
lag) is asserted on the requests the store sends. The behaviour every backend shares is tests/memory."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.aws.store import (
    BATCH_ATTEMPTS,
    BATCH_LIMIT,
    TRANSACTION_ATTEMPTS,
    TRANSACTION_LIMIT,
    DynamoDBMemoryStore,
)
from functions.aws.store_items import from_item, stamp, to_item
from shared.errors import NotFound, StoreUnavailable
from shared.memory.models import Memory
from tests.functions.dynamodb import REGION, create_memory_table

NOW = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
CALLER = "+15555550123"
OTHER = "+15555550199"


def conflict(actions: list[dict[str, Any]], held: int) -> Exception:
    """What botocore raises when a concurrent transaction holds the item of action ``held`` (moto never does)."""
    from botocore.exceptions import ClientError

    reasons: list[dict[str, str]] = [{"Code": "None"} for _ in actions]
    reasons[held] = {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
    error = {
        "Code": "TransactionCanceledException",
        "Message": "Transaction cancelled, please refer cancellation reasons",
    }
    return ClientError({"Error": error, "CancellationReasons": reasons}, "TransactWriteItems")  # type: ignore[arg-type]


class Recording:
    """A boto3 DynamoDB client that records each request; ``unprocess`` leaves the tail of the next batch writes
    unprocessed (sent back in ``UnprocessedItems``, as DynamoDB does under throttling); ``conflicts`` cancels that
    many coming transactions as DynamoDB does when a concurrent transaction holds one of their items."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.unprocess: list[int] = []  # per coming batch_write_item: how many requests DynamoDB processes
        self.conflicts = 0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.client, name)

        def call(**kwargs: Any) -> Any:
            self.calls.append((name, kwargs))
            if name == "transact_write_items" and self.conflicts:
                self.conflicts -= 1
                raise conflict(kwargs["TransactItems"], held=len(kwargs["TransactItems"]) // 2)
            if name == "batch_write_item" and self.unprocess:
                processed = self.unprocess.pop(0)
                ((table, requests),) = kwargs["RequestItems"].items()
                if processed:
                    method(RequestItems={table: requests[:processed]})
                return {"UnprocessedItems": {table: requests[processed:]} if requests[processed:] else {}}
            return method(**kwargs)

        return call

    def of(self, name: str) -> list[dict[str, Any]]:
        return [kwargs for called, kwargs in self.calls if called == name]


@pytest.fixture
def db() -> Iterator[Recording]:
    boto3 = pytest.importorskip("boto3")
    from moto import mock_aws

    with mock_aws():
        client = boto3.client(
            "dynamodb", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        create_memory_table(client, "memories")
        yield Recording(client)


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def store(db: Recording, slept: list[float]) -> DynamoDBMemoryStore:
    return DynamoDBMemoryStore("memories", client=db, sleep=slept.append)


def memory(
    mid: str, *, user: str = CALLER, agent: str = "support", age_hours: float = 1, expires_in: float = 30
) -> Memory:
    return Memory(
        id=mid,
        user_id=user,
        agent_type=agent,
        type="factual",
        text=f"Memory {mid}",
        created_at=NOW - timedelta(hours=age_hours),
        expires_at=NOW + timedelta(days=expires_in),
    )


def test_adds_go_in_transactions_of_at_most_100_and_stay_idempotent(store: DynamoDBMemoryStore, db: Recording) -> None:
    batch = [memory(f"m{i:03}", age_hours=i / 5) for i in range(130)]  # over two days: two day markers
    assert store.add(batch) == 130
    sizes = [len(call["TransactItems"]) for call in db.of("transact_write_items")]
    assert sizes == [TRANSACTION_LIMIT, 30]  # memories only: the day markers are puts of their own
    puts = [action["Put"] for call in db.of("transact_write_items") for action in call["TransactItems"]]
    assert all(p["ConditionExpression"] == "attribute_not_exists(pk)" and p["Item"]["pk"]["S"][0] == "C" for p in puts)
    assert [put["Item"]["sk"]["S"] for put in db.of("put_item")] == ["2030-01-14", "2030-01-15"]
    assert store.add(batch) == 0  # redelivered: nothing new, nothing overwritten
    half = [memory(f"m{i:03}", age_hours=i / 5) for i in range(120, 140)]
    assert store.add(half) == 10  # the cancellation names the ten already stored; the rest are written
    assert len(store.get_all(CALLER, "support", now=NOW)) == 140


def test_concurrent_calls_share_no_item_in_their_transactions(store: DynamoDBMemoryStore, db: Recording) -> None:
    """Two callers' calls of the same day, as two workers write them at once: no item is in both transactions (a
    shared one is what DynamoDB cancels with TransactionConflict), and analytics still lists that day."""
    store.add([memory("a1"), memory("a2")])
    store.add([memory("b1", user=OTHER), memory("b2", user=OTHER)])
    first, second = (
        {(a["Put"]["Item"]["pk"]["S"], a["Put"]["Item"]["sk"]["S"]) for a in call["TransactItems"]}
        for call in db.of("transact_write_items")
    )
    assert first and second and not first & second
    assert sorted(m.id for m in store.scan("support", now=NOW)) == ["a1", "a2", "b1", "b2"]


def test_a_transaction_conflict_is_retried_with_jittered_backoff(
    store: DynamoDBMemoryStore, db: Recording, slept: list[float]
) -> None:
    db.conflicts = 2
    assert store.add([memory(f"m{i}") for i in range(3)]) == 3
    assert len(db.of("transact_write_items")) == 3
    assert len(slept) == 2 and 0.025 <= slept[0] <= 0.05 and 0.05 <= slept[1] <= 0.1  # growing, jittered
    assert len(store.get_all(CALLER, "support", now=NOW)) == 3


def test_a_conflict_that_persists_is_store_unavailable_after_a_few_tries(
    store: DynamoDBMemoryStore, db: Recording, slept: list[float]
) -> None:
    db.conflicts = TRANSACTION_ATTEMPTS
    with pytest.raises(StoreUnavailable) as caught:
        store.add([memory("m1")])
    assert len(db.of("transact_write_items")) == TRANSACTION_ATTEMPTS and len(slept) == TRANSACTION_ATTEMPTS - 1
    assert CALLER not in str(caught.value)
    assert store.add([memory("m1")]) == 1  # the event's next delivery


def test_a_day_marker_lasts_as_long_as_its_latest_memory_and_is_put_once(db: Recording) -> None:
    """Its ttl is the latest expiry of the day's memories: raised by a longer-lived memory, never lowered (not even
    by another process), dropped while one never expires; a process puts each (day, ttl) once."""
    store, other_process = (DynamoDBMemoryStore("memories", client=db) for _ in range(2))

    def marker_ttl() -> str | None:
        items = db.client.query(
            TableName="memories",
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "D#support"}},
        )["Items"]
        assert [item["sk"]["S"] for item in items] == ["2030-01-15"]
        return items[0].get("ttl", {}).get("N")

    in_days = {days: str(int((NOW + timedelta(days=days)).timestamp())) for days in (30, 90)}
    store.add([memory("m1"), memory("m2")])
    assert marker_ttl() == in_days[30]
    store.add([memory("m3")])
    assert len(db.of("put_item")) == 1  # already known in this process
    store.add([memory("m4", expires_in=90)])
    assert marker_ttl() == in_days[90]
    other_process.add([memory("m5")])  # a shorter ttl does not shorten it
    assert marker_ttl() == in_days[90]
    store.add([dataclasses.replace(memory("m6"), expires_at=None)])
    assert marker_ttl() is None
    other_process.add([memory("m7", expires_in=120)])
    assert marker_ttl() is None


def test_writes_sweeps_erasures_and_analytics_use_the_write_client(db: Recording) -> None:
    """The pre-call's reads (and the tool's vector updates) keep the tight client; everything else has its own."""
    writer = Recording(db.client)
    store = DynamoDBMemoryStore("memories", client=db, write_client=writer)
    store.add([memory("m1"), memory("m2", expires_in=-1), memory("m3")])
    store.delete("m3")
    list(store.scan("support", now=NOW))
    store.delete_expired(NOW)
    store.erase_user(OTHER)
    assert db.calls == []
    assert {name for name, _ in writer.calls} == {"put_item", "transact_write_items", "query", "batch_write_item"}
    writer.calls.clear()
    (found,) = store.get_all(CALLER, "support", now=NOW)
    store.set_vectors([dataclasses.replace(found, vector=b"\x00" * 8)])
    assert {name for name, _ in db.calls} == {"query", "update_item"} and writer.calls == []


def test_expired_items_are_filtered_on_every_page_and_limit_counts_live_ones(
    store: DynamoDBMemoryStore, db: Recording
) -> None:
    """moto never expires: the 60 newest are past expires_at yet present, as they may be for two days under TTL."""
    store.add([memory(f"old{i:02}", age_hours=100 + i) for i in range(5)])
    store.add([memory(f"gone{i:02}", age_hours=i / 10, expires_in=-1) for i in range(60)])
    db.calls.clear()
    found = store.get_all(CALLER, "support", now=NOW, limit=3)
    assert [m.id for m in found] == ["old00", "old01", "old02"]
    queries = db.of("query")
    assert len(queries) >= 2 and all(q["ScanIndexForward"] is False and q["ConsistentRead"] for q in queries)
    assert "expires_at > :now" in queries[0]["FilterExpression"]
    assert store.search(CALLER, "support", "Memory", now=NOW, limit=10)
    assert all(r.memory.id.startswith("old") for r in store.search(CALLER, "support", "Memory", now=NOW, limit=10))
    assert not [m for m in store.scan("support", now=NOW) if m.id.startswith("gone")]


def test_reads_filter_expiry_themselves_even_when_the_database_does_not(store: DynamoDBMemoryStore, db: Any) -> None:
    """A filter expression the database ignored (or a replica that lags) still never returns an expired memory."""
    store.add([memory("gone", expires_in=-1), memory("live")])

    class IgnoresFilters:
        def __getattr__(self, name: str) -> Any:
            method = getattr(db, name)
            if name != "query":
                return method
            return lambda **kwargs: method(
                **{k: v for k, v in kwargs.items() if k != "FilterExpression"}
                | {
                    "ExpressionAttributeValues": {
                        k: v for k, v in kwargs["ExpressionAttributeValues"].items() if k in (":pk", ":prefix")
                    }
                }
            )

    careless = DynamoDBMemoryStore("memories", client=IgnoresFilters())
    assert [m.id for m in careless.get_all(CALLER, "support", now=NOW)] == ["live"]


def test_erase_is_a_key_only_query_then_deletes_of_at_most_25(store: DynamoDBMemoryStore, db: Recording) -> None:
    store.add([memory(f"s{i}", age_hours=i) for i in range(40)])
    store.add([memory(f"x{i}", agent="sales", age_hours=i) for i in range(21)])
    store.add([memory("keep", user=OTHER)])
    db.calls.clear()
    assert store.erase_user(CALLER) == 61
    (query,) = db.of("query")
    assert query["ProjectionExpression"] == "pk, sk" and "IndexName" not in query
    sizes = [len(call["RequestItems"]["memories"]) for call in db.of("batch_write_item")]
    assert sizes == [25, 25, 11] and max(sizes) <= BATCH_LIMIT
    assert not db.of("scan")
    assert store.get_all(CALLER, "support", now=NOW) == [] and store.get_all(CALLER, "sales", now=NOW) == []
    assert [m.id for m in store.get_all(OTHER, "support", now=NOW)] == ["keep"]


def test_unprocessed_items_are_sent_again_with_backoff(
    store: DynamoDBMemoryStore, db: Recording, slept: list[float]
) -> None:
    store.add([memory(f"m{i}", age_hours=i) for i in range(30)])
    db.unprocess = [10, 0, 15, 2]  # the first batch of 25 takes three calls, the second (5) two
    assert store.erase_user(CALLER) == 30
    assert [len(c["RequestItems"]["memories"]) for c in db.of("batch_write_item")] == [25, 15, 15, 5, 3]
    assert slept == [0.05, 0.1, 0.05]
    assert store.get_all(CALLER, "support", now=NOW) == []


def test_a_batch_that_never_goes_through_is_an_error_not_a_silent_success(
    store: DynamoDBMemoryStore, db: Recording
) -> None:
    store.add([memory("m1")])
    db.unprocess = [0] * BATCH_ATTEMPTS
    with pytest.raises(StoreUnavailable, match="unprocessed") as caught:
        store.erase_user(CALLER)
    assert CALLER not in str(caught.value)


def test_delete_one_finds_the_key_by_the_id_index_without_a_scan(store: DynamoDBMemoryStore, db: Recording) -> None:
    store.add([memory("m1"), memory("m2", agent="sales")])
    db.calls.clear()
    store.delete("m2")
    assert [q.get("IndexName") for q in db.of("query")] == ["by_id"] and not db.of("scan")
    assert store.get_all(CALLER, "sales", now=NOW) == []
    with pytest.raises(NotFound):
        store.delete("m2")


def test_the_sweep_queries_the_expiry_index_not_the_table(store: DynamoDBMemoryStore, db: Recording) -> None:
    store.add([memory(f"gone{i}", expires_in=-i - 1) for i in range(30)] + [memory("live")])
    forever = dataclasses.replace(memory("forever"), expires_at=None)
    store.add([forever])
    db.calls.clear()
    assert store.delete_expired(NOW) == 30
    assert {q["IndexName"] for q in db.of("query")} == {"by_expiry"} and not db.of("scan")
    assert sorted(m.id for m in store.get_all(CALLER, "support", now=NOW)) == ["forever", "live"]
    assert "ttl" not in to_item(forever) and to_item(memory("live"))["ttl"]["N"] == str(
        int((NOW + timedelta(days=30)).timestamp())
    )


def test_analytics_reads_the_day_index_day_by_day(store: DynamoDBMemoryStore, db: Recording) -> None:
    store.add([memory(f"d{day}", age_hours=24 * day) for day in range(5)])
    store.add([memory("o", user=OTHER, age_hours=49), memory("sales", agent="sales")])
    db.calls.clear()
    assert sorted(m.id for m in store.scan("support", now=NOW)) == ["d0", "d1", "d2", "d3", "d4", "o"]
    assert {q.get("IndexName") for q in db.of("query")} == {None, "by_day"} and not db.of("scan")
    assert store.users("support", now=NOW) == sorted([CALLER, OTHER])


def _sample(kind: Any) -> Any:
    """A non-default value of a field's type (whatever fields ``Memory`` has now)."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        kind = next(arg for arg in typing.get_args(kind) if arg is not type(None))
    samples: dict[Any, Any] = {str: "x-1", bytes: b"\x00\x01\xfe", datetime: NOW - timedelta(days=1, microseconds=7)}
    if kind in samples:
        return samples[kind]
    if typing.get_origin(kind) is dict or kind is dict:
        return {"field": "caller_name", "value": "Dana", "nested": {"n": 1.5, "list": [1, "a"]}}
    if kind in (int, float):
        return kind(3)
    raise AssertionError(f"add a sample for {kind}")


def test_every_memory_field_is_stored_whatever_the_dataclass_holds(store: DynamoDBMemoryStore) -> None:
    hints = typing.get_type_hints(Memory)
    values = {f.name: _sample(hints[f.name]) for f in dataclasses.fields(Memory)}
    values.update(user_id=CALLER, agent_type="support", expires_at=NOW + timedelta(days=3))
    original = Memory(**values)
    assert from_item(to_item(original)) == original
    store.add([original])
    (found,) = store.get_all(CALLER, "support", now=NOW)
    assert {f.name: getattr(found, f.name) for f in dataclasses.fields(Memory)} == values
    assert stamp(found.created_at) == stamp(original.created_at)


def test_failures_are_store_unavailable_without_the_caller(store: DynamoDBMemoryStore) -> None:
    broken = DynamoDBMemoryStore("no-such-table", client=store._db)
    for attempt in (
        lambda: broken.get_all(CALLER, "support", now=NOW),
        lambda: broken.add([memory("m1")]),
        lambda: broken.erase_user(CALLER),
    ):
        with pytest.raises(StoreUnavailable) as caught:
            attempt()
        assert CALLER not in str(caught.value)
