"""Our ``Memory`` on Mem0's wire: add bodies, v3 filters, and the items Mem0 returns.

Everything we need to rebuild a ``Memory`` travels in Mem0 ``metadata`` (Mem0 keeps it verbatim), so a
Mem0 item converts back without loss; items without our metadata (written by other tools into the same
project) are ignored rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from shared.errors import StoreUnavailable
from shared.memory.models import Memory

#: Metadata keys we own; a caller's own ``Memory.metadata`` travels nested under ``extra``.
MEMORY_ID = "memory_id"
TYPE = "type"
AGENT_TYPE = "agent_type"
CONVERSATION_ID = "conversation_id"
CREATED_AT = "created_at"
EXPIRES_AT = "expires_at"
EXTRA = "extra"


def expiration_date(expires_at: datetime) -> str:
    """Mem0's ``expiration_date``: a UTC day, inclusive, so Mem0 never hides a memory we still return."""
    return expires_at.astimezone(UTC).date().isoformat()


def add_body(memory: Memory) -> dict[str, Any]:
    """The body mem0ai's ``MemoryClient.add(text, user_id=..., metadata=..., infer=False, ...)`` sends."""
    metadata: dict[str, Any] = {
        MEMORY_ID: memory.id,
        TYPE: memory.type,
        AGENT_TYPE: memory.agent_type,
        CREATED_AT: _iso(memory.created_at),
    }
    if memory.conversation_id is not None:
        metadata[CONVERSATION_ID] = memory.conversation_id
    if memory.expires_at is not None:
        metadata[EXPIRES_AT] = _iso(memory.expires_at)
    if memory.metadata:
        metadata[EXTRA] = dict(memory.metadata)
    body: dict[str, Any] = {
        "messages": [{"role": "user", "content": memory.text}],
        "user_id": memory.user_id,
        "metadata": metadata,
        "infer": False,
        "timestamp": int(memory.created_at.timestamp()),
    }
    if memory.expires_at is not None:
        body["expiration_date"] = expiration_date(memory.expires_at)
    return body


def scope_filter(user_id: str, agent_type: str, types: Sequence[str] | None = None) -> dict[str, Any]:
    """One caller in one agent type: user id AND metadata agent type (AND an OR of types: no ``in`` on metadata)."""
    conditions: list[dict[str, Any]] = [{"user_id": user_id}, {"metadata": {AGENT_TYPE: agent_type}}]
    if types:
        conditions.append(any_of([{"metadata": {TYPE: kind}} for kind in dict.fromkeys(types)]))
    return {"AND": conditions}


def agent_filter(agent_type: str) -> dict[str, Any]:
    """Every caller's memories of one agent type (``*`` matches any non-null user id)."""
    return {"AND": [{"user_id": "*"}, {"metadata": {AGENT_TYPE: agent_type}}]}


def ids_filter(user_id: str, memory_ids: Sequence[str]) -> dict[str, Any]:
    """These of our memory ids for one caller (``"*"`` for any caller), whatever their agent type."""
    return {"AND": [{"user_id": user_id}, any_of([{"metadata": {MEMORY_ID: mid}} for mid in memory_ids])]}


def expired_filter(now: datetime) -> dict[str, Any]:
    """Every caller's memories whose Mem0 expiry day is at or before ``now``'s day (a superset we refine)."""
    return {"AND": [{"user_id": "*"}, {"expiration_date": {"lte": expiration_date(now)}}]}


def any_of(conditions: list[dict[str, Any]]) -> dict[str, Any]:
    return conditions[0] if len(conditions) == 1 else {"OR": conditions}


def memory_id_of(item: Mapping[str, Any]) -> str | None:
    metadata = item.get("metadata")
    if isinstance(metadata, Mapping):
        value = metadata.get(MEMORY_ID)
        return value if isinstance(value, str) and value else None
    return None


def memory_from_item(item: Mapping[str, Any]) -> Memory | None:
    """A Mem0 search or list item as our ``Memory``; None when the item is not one of ours or is malformed."""
    metadata = item.get("metadata")
    if not isinstance(metadata, Mapping):
        return None
    try:
        extra = metadata.get(EXTRA) or {}
        return Memory(
            id=str(metadata[MEMORY_ID]),
            user_id=str(item["user_id"]),
            agent_type=str(metadata[AGENT_TYPE]),
            type=str(metadata[TYPE]),
            text=str(item["memory"]),
            created_at=_parse(metadata.get(CREATED_AT) or item["created_at"]),
            expires_at=_parse(metadata[EXPIRES_AT]) if metadata.get(EXPIRES_AT) else None,
            conversation_id=metadata.get(CONVERSATION_ID),
            metadata=dict(extra) if isinstance(extra, Mapping) else {},
        )
    except (KeyError, TypeError, ValueError):
        return None


def results(data: Any) -> list[Mapping[str, Any]]:
    rows = data.get("results") if isinstance(data, Mapping) else data
    if not isinstance(rows, list):
        raise StoreUnavailable("mem0 answered with an unexpected shape")
    return [row for row in rows if isinstance(row, Mapping)]


def entity_users(data: Any) -> dict[str, int]:
    """User names in a ``GET /v1/entities/`` answer with their memory counts (0 when Mem0 gives none)."""
    counts: dict[str, int] = {}
    for row in results(data):
        name, total = row.get("name"), row.get("total_memories")
        if row.get("type") == "user" and isinstance(name, str) and name:
            counts[name] = total if isinstance(total, int) and total > 0 else 0
    return counts


def next_page(data: Any) -> dict[str, str] | None:
    """The query of a listing's ``next`` link; only the query is reused, so no request leaves our host."""
    link = data.get("next") if isinstance(data, Mapping) else None
    if not isinstance(link, str) or not link:
        return None
    return {key: values[-1] for key, values in parse_qs(urlsplit(link).query).items()} or None


def decoded(items: Iterable[Mapping[str, Any]]) -> dict[str, Memory]:
    """Our memories by our id; the first copy wins when a race left Mem0 holding two."""
    found: dict[str, Memory] = {}
    for item in items:
        memory = memory_from_item(item)
        if memory is not None:
            found.setdefault(memory.id, memory)
    return found


def live(
    memories: Mapping[str, Memory], user_id: str, agent_type: str, types: Sequence[str] | None, now: datetime
) -> dict[str, Memory]:
    """Re-check scope and expiry ourselves: Mem0's expiry is a whole day late and filters are its promise."""
    return {
        mid: m
        for mid, m in memories.items()
        if m.user_id == user_id
        and m.agent_type == agent_type
        and (types is None or m.type in types)
        and not m.is_expired(now)
    }


def score(item: Mapping[str, Any]) -> float:
    try:
        return float(item.get("score") or 0.0)
    except (TypeError, ValueError):
        return 0.0


def memory_to_json(memory: Memory) -> dict[str, Any]:
    """A JSON-safe copy, for the pending log."""
    return {
        "id": memory.id,
        "user_id": memory.user_id,
        "agent_type": memory.agent_type,
        "type": memory.type,
        "text": memory.text,
        "created_at": _iso(memory.created_at),
        "expires_at": _iso(memory.expires_at) if memory.expires_at else None,
        "conversation_id": memory.conversation_id,
        "metadata": dict(memory.metadata),
    }


def memory_from_json(data: Mapping[str, Any]) -> Memory:
    return Memory(
        id=data["id"],
        user_id=data["user_id"],
        agent_type=data["agent_type"],
        type=data["type"],
        text=data["text"],
        created_at=_parse(data["created_at"]),
        expires_at=_parse(data["expires_at"]) if data.get("expires_at") else None,
        conversation_id=data.get("conversation_id"),
        metadata=dict(data.get("metadata") or {}),
    )


def _iso(moment: datetime) -> str:
    return _aware(moment).isoformat()


def _parse(value: Any) -> datetime:
    if not isinstance(value, str):
        raise TypeError("timestamp is not a string")
    return _aware(datetime.fromisoformat(value))


def _aware(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC, so comparisons with an aware ``now`` never raise."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
