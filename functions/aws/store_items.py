"""How a ``Memory`` is laid out in the stack's DynamoDB table: keys, index keys, and every field, generically.

One table per stack. The base table is partitioned by caller and sorted by agent type, creation time and id, so a
pre-call is one Query, newest first. Three sparse indexes serve the rest without a scan:

==========  ======================================  ====================================  ============
index       partition key                           sort key                              projection
==========  ======================================  ====================================  ============
(table)     ``pk`` = ``C#<user_id>``                ``sk`` = ``A#<agent>#T#<created>#<id>``
by_id       ``mid`` = memory id                                                           keys only
by_expiry   ``xpk`` = ``X#<shard of id>``           ``xsk`` = ``<expires_at>#<id>``       keys only
by_day      ``dpk`` = ``A#<agent>#<created day>``   ``dsk`` = ``<created>#<id>``          all
==========  ======================================  ====================================  ============

``by_day`` serves analytics (an agent type's memories, day by day); the days that have memories are listed by
small marker items (``pk`` = ``D#<agent>``, ``sk`` = the day) that hold no personal data; a marker's ``ttl`` is the
latest of its day's memories' (none while one of them never expires), so TTL deletes it once they have all expired.
Every ``Memory`` field is stored under its own name, typed by the dataclass (a field added to ``Memory`` is stored
without a change here): text as S, bytes as B, datetimes as fixed-width UTC ISO strings (so they sort), anything
else as JSON. ``ttl`` (epoch seconds) lets DynamoDB delete an item some time after ``expires_at``; reads never rely
on it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import types
import typing
from datetime import UTC, datetime
from typing import Any

from shared.memory.models import Memory

TTL_ATTRIBUTE = "ttl"
BY_ID, BY_EXPIRY, BY_DAY = "by_id", "by_expiry", "by_day"
EXPIRY_SHARDS = 8  # the expiry index's partitions: spreads every write across several, the sweep queries each
KEY_ATTRIBUTES = ("pk", "sk")
# index name -> (partition key, sort key or None, projection): what the stack declares (infra/aws_table.py).
INDEXES: dict[str, tuple[str, str | None, str]] = {
    BY_ID: ("mid", None, "KEYS_ONLY"),
    BY_EXPIRY: ("xpk", "xsk", "KEYS_ONLY"),
    BY_DAY: ("dpk", "dsk", "ALL"),
}
_FIELDS = tuple(dataclasses.fields(Memory))
_HINTS = typing.get_type_hints(Memory)
_RESERVED = frozenset({"pk", "sk", "mid", "xpk", "xsk", "dpk", "dsk", TTL_ATTRIBUTE})
assert not _RESERVED & {f.name for f in _FIELDS}, "a Memory field would collide with a key attribute"


def stamp(moment: datetime) -> str:
    """Fixed-width UTC ISO 8601 with microseconds: string order is time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def caller_key(user_id: str) -> str:
    return f"C#{user_id}"


def agent_prefix(agent_type: str) -> str:
    """The sort-key prefix of one agent type's memories within a caller's partition."""
    return f"A#{agent_type}#T#"


def days_key(agent_type: str) -> str:
    return f"D#{agent_type}"


def day_key(agent_type: str, day: str) -> str:
    return f"A#{agent_type}#{day}"


def expiry_shard(memory_id: str) -> str:
    return f"X#{int(hashlib.sha256(memory_id.encode()).hexdigest()[:8], 16) % EXPIRY_SHARDS}"


def expiry_bound(now: datetime) -> str:
    """Every ``xsk`` of a memory expired at or before ``now`` sorts below this (``$`` follows ``#``)."""
    return stamp(now) + "$"


def key_of(memory: Memory) -> dict[str, dict[str, str]]:
    return {
        "pk": {"S": caller_key(memory.user_id)},
        "sk": {"S": f"{agent_prefix(memory.agent_type)}{stamp(memory.created_at)}#{memory.id}"},
    }


def _kind(name: str) -> type:
    """The field's type without ``| None``: str, bytes, datetime, or anything else (stored as JSON)."""
    hint = _HINTS[name]
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    origin = typing.get_origin(hint)
    return origin if isinstance(origin, type) else hint if isinstance(hint, type) else object


_KINDS = {f.name: _kind(f.name) for f in _FIELDS}


def _encode(value: Any) -> dict[str, Any]:
    if isinstance(value, datetime):
        return {"S": stamp(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bytes):
        return {"B": value}
    return {"S": json.dumps(value, separators=(",", ":"), sort_keys=True)}


def _decode(name: str, attribute: dict[str, Any]) -> Any:
    kind = _KINDS[name]
    if kind is datetime:
        return datetime.strptime(attribute["S"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    if kind is str:
        return attribute["S"]
    if kind is bytes:
        return bytes(attribute["B"])
    return json.loads(attribute["S"])


def to_item(memory: Memory) -> dict[str, dict[str, Any]]:
    """The memory's item: keys, index keys, ``ttl``, and every non-empty field of ``Memory``."""
    item: dict[str, dict[str, Any]] = dict(key_of(memory))
    for f in _FIELDS:
        value = getattr(memory, f.name)
        if value is not None:
            item[f.name] = _encode(value)
    created = stamp(memory.created_at)
    item["mid"] = {"S": memory.id}
    item["dpk"] = {"S": day_key(memory.agent_type, created[:10])}
    item["dsk"] = {"S": f"{created}#{memory.id}"}
    if memory.expires_at is not None:
        item["xpk"] = {"S": expiry_shard(memory.id)}
        item["xsk"] = {"S": f"{stamp(memory.expires_at)}#{memory.id}"}
        item[TTL_ATTRIBUTE] = {"N": str(ttl_of(memory))}
    return item


def ttl_of(memory: Memory) -> int | None:
    """The epoch second after which DynamoDB may delete the memory's item (``None``: never)."""
    return None if memory.expires_at is None else math.ceil(memory.expires_at.timestamp())


def day_marker(agent_type: str, day: str, ttl: int | None = None) -> dict[str, dict[str, str]]:
    """The item that says ``agent_type`` has memories created on ``day`` (no caller, no content), kept until
    ``ttl`` (``None``: for ever)."""
    item = {"pk": {"S": days_key(agent_type)}, "sk": {"S": day}}
    if ttl is not None:
        item[TTL_ATTRIBUTE] = {"N": str(ttl)}
    return item


def marker_condition(ttl: int | None) -> tuple[str, dict[str, str], dict[str, dict[str, str]]]:
    """The condition (expression, names, values) of a marker's put: it lands only where it makes the marker last
    longer (absent, or expiring before ``ttl``), so concurrent puts of one day never shorten it."""
    names = {"#ttl": TTL_ATTRIBUTE}
    if ttl is None:
        return "attribute_not_exists(pk) OR attribute_exists(#ttl)", names, {}
    return "attribute_not_exists(pk) OR #ttl < :ttl", names, {":ttl": {"N": str(ttl)}}


def from_item(item: dict[str, dict[str, Any]]) -> Memory:
    values = {f.name: _decode(f.name, item[f.name]) for f in _FIELDS if f.name in item}
    return Memory(**values)


def is_live(item: dict[str, dict[str, Any]], now: datetime) -> bool:
    """Expired items stay readable until DynamoDB's TTL gets to them (up to days later): every read asks this."""
    expires = item.get("expires_at")
    return expires is None or expires["S"] > stamp(now)


__all__ = [
    "BY_DAY",
    "BY_EXPIRY",
    "BY_ID",
    "INDEXES",
    "TTL_ATTRIBUTE",
    "day_marker",
    "from_item",
    "is_live",
    "key_of",
    "marker_condition",
    "stamp",
    "to_item",
    "ttl_of",
]
