"""``memories export`` / ``import`` records on every backend: every field travels, and importing twice adds nothing."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.memory.models import Memory
from shared.memory.sqlite import SqliteMemoryStore
from shared.memory.store import MemoryStore
from shared.memory.transfer import export_lines, from_record, import_lines, to_record

NOW = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
AGENT = "support"


def memories() -> list[Memory]:
    base = NOW - timedelta(days=3)
    return [
        Memory("a1", "+15555550123", AGENT, "factual", "Prefers afternoons", base, NOW + timedelta(days=30), "c1",
               {"source": "summary"}),
        Memory("a2", "+15555550123", AGENT, "lead", "Budget 5000", base + timedelta(hours=1), NOW + timedelta(days=9),
               "c1", {"field": "budget", "value": "5000"}),
        Memory("b1", "+15555550199", AGENT, "semantic", "Has a dog called Biscuit", base, None, "c2", {}),
        Memory("x1", "+15555550199", "sales", "factual", "Other agent type", base, NOW + timedelta(days=5)),
    ]  # fmt: skip


def test_export_then_import_on_every_backend_keeps_every_field_and_is_idempotent(
    store: MemoryStore, tmp_path: Path
) -> None:
    source = SqliteMemoryStore(tmp_path / "source.db")
    source.add(memories())
    lines = list(export_lines(source, AGENT, now=NOW))
    assert [json.loads(line)["id"] for line in lines] == ["a1", "a2", "b1"]  # by caller, oldest first; one agent type
    first = import_lines(store, lines, now=NOW)
    assert (first.added, first.already_present, first.expired) == (3, 0, 0)
    again = import_lines(store, lines, now=NOW)
    assert (again.added, again.already_present) == (0, 3)
    moved = {m.id: m for m in store.scan(AGENT, now=NOW)}
    for original in memories()[:3]:
        found = moved[original.id]
        assert (found.user_id, found.agent_type, found.type, found.text) == (
            original.user_id,
            original.agent_type,
            original.type,
            original.text,
        )
        assert found.conversation_id == original.conversation_id
        assert {k: v for k, v in found.metadata.items() if k in original.metadata} == original.metadata
        assert abs((found.created_at - original.created_at).total_seconds()) < 1
        if original.expires_at is None:
            assert found.expires_at is None
        else:
            assert found.expires_at is not None
            assert abs((found.expires_at - original.expires_at).total_seconds()) < 86_400
    source.close()


def test_a_record_holds_every_field_of_memory_exactly() -> None:
    for memory in memories():
        record = to_record(memory)
        assert set(record) == {f.name for f in dataclasses.fields(Memory)}
        assert from_record(json.loads(json.dumps(record))) == memory


def test_expired_records_are_skipped(tmp_path: Path) -> None:
    store = SqliteMemoryStore(tmp_path / "m.db")
    old = dataclasses.replace(memories()[0], id="old", expires_at=NOW - timedelta(seconds=1))
    report = import_lines(store, [json.dumps(to_record(old)), json.dumps(to_record(memories()[1]))], now=NOW)
    assert report.as_dict() == {"added": 1, "already_present": 0, "expired": 1, "erased": 0}
    store.close()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "line 2: not JSON"),
        ('["a"]', "line 2: a record must be a JSON object"),
        ('{"id": "x"}', "line 2: missing field(s)"),
        ('{"id": "x", "colour": "blue"}', "line 2: unknown field(s) colour"),
        ('{"id": "x", "user_id": "u", "agent_type": "a", "type": "t", "text": "secret words", '
         '"created_at": "yesterday"}', "line 2: field created_at"),
        ('{"id": "x", "user_id": "u", "agent_type": "a", "type": "t", "text": "secret words", '
         '"created_at": "2030-01-01T00:00:00"}', "line 2: field created_at: no time zone"),
    ],
)  # fmt: skip
def test_a_bad_line_is_named_without_its_content(line: str, message: str, tmp_path: Path) -> None:
    store = SqliteMemoryStore(tmp_path / "m.db")
    good = json.dumps(to_record(memories()[0]))
    with pytest.raises(ValueError) as caught:
        import_lines(store, [good, line], now=NOW)
    assert str(caught.value).startswith(message) and "secret words" not in str(caught.value)
    store.close()


@pytest.mark.parametrize("user_id", ["", " ", "*", "+1 (555) 555-0199", "555-555-0199", " +15555550199", "911"])
def test_a_user_id_no_lookup_could_reach_is_a_bad_line(user_id: str, tmp_path: Path) -> None:
    """It was imported as it stood: "*" and "" as callers, "+1 (555) 555-0199" under an id that no pre-call, tool
    call, listing or erasure ever asks for (every one normalizes to +15555550199 first)."""
    store = SqliteMemoryStore(tmp_path / "m.db")
    bad = dataclasses.replace(memories()[0], id="bad", user_id=user_id)
    with pytest.raises(ValueError, match=r"^line 2: field user_id: not a user id as the service stores it"):
        import_lines(store, [json.dumps(to_record(memories()[1])), json.dumps(to_record(bad))], now=NOW)
    assert store.get_all(user_id, AGENT, now=NOW) == []
    store.close()


@pytest.mark.parametrize("user_id", ["+442079460958", "u_" + "0a" * 20, "sip:alice@example.com", "client:web-42"])
def test_every_user_id_the_service_stores_imports(user_id: str, tmp_path: Path) -> None:
    store = SqliteMemoryStore(tmp_path / "m.db")
    good = dataclasses.replace(memories()[0], user_id=user_id)
    assert import_lines(store, [json.dumps(to_record(good))], now=NOW).added == 1
    store.close()
