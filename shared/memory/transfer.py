"""Moving memories between stores: JSON Lines, one memory a line, every field of ``Memory`` (``memories export``).

A record holds each field under its own name, typed by the dataclass, so a field added to ``Memory`` travels
without a change here: datetimes as ISO 8601 UTC, bytes as base64, ``None`` as null, the rest as JSON. Import is
idempotent: a memory whose id the store holds already is left as it is, and one already past its ``expires_at``
is skipped (no store would ever return it), and so is one of a call its caller has been erased of since the export
(``erased``): a file written before an erasure never brings the caller back.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import types
import typing
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.errors import Unprocessable
from shared.identity import is_pseudonym, normalize_caller
from shared.memory.models import Memory
from shared.memory.store import MemoryStore

IMPORT_BATCH = 100
CLOCK_SKEW = timedelta(minutes=5)  # another machine's clock, ahead of this one: an export read back at once
_FIELDS = tuple(dataclasses.fields(Memory))
_REQUIRED = frozenset(
    f.name for f in _FIELDS if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
)


def _kind(hint: Any) -> Any:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return next(arg for arg in typing.get_args(hint) if arg is not type(None))
    return typing.get_origin(hint) or hint


_KINDS = {name: _kind(hint) for name, hint in typing.get_type_hints(Memory).items()}


@dataclass(frozen=True)
class ImportReport:
    added: int = 0
    already_present: int = 0
    expired: int = 0
    erased: int = 0

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


def to_record(memory: Memory) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for f in _FIELDS:
        value = getattr(memory, f.name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, bytes):
            value = base64.b64encode(value).decode("ascii")
        record[f.name] = value
    return record


def from_record(record: Any) -> Memory:
    """Raises ``ValueError`` naming the field (never its value: it may be a caller's words)."""
    if not isinstance(record, dict):
        raise ValueError("a record must be a JSON object")
    unknown = set(record) - {f.name for f in _FIELDS}
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(sorted(unknown))}")
    missing = _REQUIRED - {name for name, value in record.items() if value is not None}
    if missing:
        raise ValueError(f"missing field(s) {', '.join(sorted(missing))}")
    values: dict[str, Any] = {}
    for name, value in record.items():
        kind = _KINDS[name]
        if value is None:
            pass
        elif kind is datetime:
            value = _datetime(name, value)
        elif kind is bytes:
            try:
                value = base64.b64decode(value, validate=True)
            except (TypeError, ValueError):  # binascii's message can quote the value
                raise ValueError(f"field {name}: not base64") from None
        elif isinstance(kind, type) and not isinstance(value, kind):
            raise ValueError(f"field {name}: not a {kind.__name__}")
        values[name] = value
    return Memory(**values)


def _datetime(name: str, value: Any) -> datetime:
    """An ISO 8601 time with its zone; the error names the field only (``fromisoformat`` quotes the value)."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"field {name}: not an ISO 8601 date and time") from None
    if parsed.tzinfo is None:
        raise ValueError(f"field {name}: no time zone")
    return parsed.astimezone(UTC)


def _check_user_id(memory: Memory) -> None:
    """Only a user id the service itself could have stored: an E.164 number, an id, or a pseudonym. "", "*" or a
    number as typed ("+1 (555) 555-0199") was imported under an id no call, tool or erasure ever looks up."""
    try:
        stored_form = is_pseudonym(memory.user_id) or normalize_caller(memory.user_id) == memory.user_id
    except Unprocessable:
        stored_form = False
    if not stored_form:
        raise ValueError("field user_id: not a user id as the service stores it (E.164, an id, or a u_... pseudonym)")


def _check_pseudonym(memory: Memory, pseudonymized: Collection[str]) -> None:
    """An agent type that pseudonymizes callers stores only ``u_...`` ids: a number or an id imported as it is would
    put the raw number in a store that promises never to hold one, under an id no call, tool or erasure looks up
    (an erasure by the number hashes it and erases nothing)."""
    if memory.agent_type in pseudonymized and not is_pseudonym(memory.user_id):
        raise ValueError(
            f"field user_id: agent type {memory.agent_type!r} stores callers under pseudonyms "
            "(identity.pseudonymize), and this is not one (u_ and 40 hex digits): export from a store that "
            "pseudonymizes with the same PSEUDONYMIZATION_KEY"
        )


def _check_time(memory: Memory, now: datetime) -> None:
    """A call cannot have taken place after the import: a record of a future call (a machine's clock years ahead, a
    hand-made file) would be the caller's newest call for years ("the last on 2028-01-11"). The worker takes such a
    time as the event's arrival; a record has no arrival to take, so it is a bad record."""
    if memory.created_at > now + CLOCK_SKEW:
        raise ValueError("field created_at: in the future (a call cannot have taken place after the import)")


def _check_types(memory: Memory, types: Mapping[str, Collection[str]]) -> None:
    """A memory no agent type of the config could read is refused; the message names the config's names only
    (the record's own value may be anything, a caller's words included)."""
    known = types.get(memory.agent_type)
    if known is None:
        raise ValueError(f"field agent_type: not an agent type of the config (known: {', '.join(sorted(types))})")
    if memory.type not in known:
        raise ValueError(
            f"field type: not a memory type of agent type {memory.agent_type!r} (its types: {', '.join(known)})"
        )


def export_lines(store: MemoryStore, agent_type: str, *, now: datetime) -> Iterator[str]:
    """Every live memory of the agent type, by caller and then oldest first (a stable, diffable file)."""
    memories = sorted(store.scan(agent_type, now=now), key=lambda m: (m.user_id, m.created_at, m.id))
    for memory in memories:
        yield json.dumps(to_record(memory), ensure_ascii=False, sort_keys=True)


def import_lines(
    store: MemoryStore,
    lines: Iterable[str],
    *,
    now: datetime,
    types: Mapping[str, Collection[str]] | None = None,
    erased: Callable[[Memory], bool] | None = None,
    pseudonymized: Collection[str] = (),
) -> ImportReport:
    """Raises ``ValueError`` naming the line of the first bad record, before anything of a later batch is added.

    ``types`` (agent type -> its memory types, from the target's config): a record of another agent type or memory
    type is a bad record, as no agent type could ever read it. ``erased`` (``shared.ingest.erasures.ErasedCallers``)
    says which memories come from calls their callers have been erased of since: those are skipped. ``pseudonymized``
    (the agent types with ``identity.pseudonymize``): a record of one whose user id is not a pseudonym is a bad record.
    """
    report = ImportReport()
    batch: list[Memory] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            memory = from_record(json.loads(line))
            _check_user_id(memory)
            if types is not None:
                _check_types(memory, types)
            _check_pseudonym(memory, pseudonymized)
            _check_time(memory, now)
        except ValueError as exc:  # json.JSONDecodeError is a ValueError; its message quotes no content
            message = "not JSON" if isinstance(exc, json.JSONDecodeError) else str(exc)
            raise ValueError(f"line {number}: {message}") from None
        if memory.is_expired(now):
            report = dataclasses.replace(report, expired=report.expired + 1)
            continue
        if erased is not None and erased(memory):
            report = dataclasses.replace(report, erased=report.erased + 1)
            continue
        batch.append(memory)
        if len(batch) >= IMPORT_BATCH:
            report = _add(store, batch, report)
            batch = []
    return _add(store, batch, report) if batch else report


def _add(store: MemoryStore, batch: list[Memory], report: ImportReport) -> ImportReport:
    added = store.add(batch)
    return dataclasses.replace(
        report, added=report.added + added, already_present=report.already_present + len(batch) - added
    )


__all__ = ["ImportReport", "export_lines", "from_record", "import_lines", "to_record"]
