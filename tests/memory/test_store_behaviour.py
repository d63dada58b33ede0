"""One behaviour suite for every ``MemoryStore`` backend (parametrized in conftest.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from shared.errors import NotFound
from shared.memory.models import Memory
from shared.memory.store import MemoryStore

NOW = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
CALLER = "+15555550123"
OTHER = "+15555550199"
AGENT = "support"


def memory(
    mid: str,
    text: str,
    *,
    user: str = CALLER,
    agent: str = AGENT,
    kind: str = "factual",
    age_days: float = 1,
    expires_in_days: float | None = 30,
    **metadata: str,
) -> Memory:
    created = NOW - timedelta(days=age_days)
    return Memory(
        id=mid,
        user_id=user,
        agent_type=agent,
        type=kind,
        text=text,
        created_at=created,
        expires_at=None if expires_in_days is None else NOW + timedelta(days=expires_in_days),
        conversation_id=f"conv-{mid}",
        metadata=dict(metadata),
    )


def test_get_all_is_newest_first_and_filters_by_type(store: MemoryStore) -> None:
    store.add(
        [
            memory("m1", "Oldest fact", age_days=3),
            memory("m2", "Newest chat", kind="semantic", age_days=1),
            memory("m3", "Middle fact", age_days=2),
        ]
    )
    assert [m.id for m in store.get_all(CALLER, AGENT, now=NOW)] == ["m2", "m3", "m1"]
    assert [m.id for m in store.get_all(CALLER, AGENT, now=NOW, types=["factual"])] == ["m3", "m1"]
    assert [m.id for m in store.get_all(CALLER, AGENT, now=NOW, limit=1)] == ["m2"]


def test_memories_of_one_call_come_back_in_the_same_order_from_every_backend(store: MemoryStore) -> None:
    """A call's memories share its time. Newest first, then by id descending (DynamoDB's sort key, Firestore's
    document names), never in the order they were written: SQLite answered in write order, so the pre-call's window of
    a caller with more than 500 memories and the tool's ties differed between serve and the clouds."""
    written = ["m_7c", "m_03", "m_f1", "m_5a", "m_b2"]
    for mid in written:  # one add each: a store that kept write order would answer m_b2, m_5a, m_f1, ...
        store.add([memory(mid, f"Said {mid}", age_days=1)])
    store.add([memory("m_00", "A later call", age_days=0.5)])
    expected = ["m_00", *sorted(written, reverse=True)]
    assert [m.id for m in store.get_all(CALLER, AGENT, now=NOW)] == expected
    assert [m.id for m in store.get_all(CALLER, AGENT, now=NOW, limit=3)] == expected[:3]
    pages = [store.page(CALLER, AGENT, now=NOW, limit=2, offset=offset) for offset in (0, 2, 4)]
    assert [m.id for page in pages for m in page] == expected


def test_add_is_idempotent_by_id(store: MemoryStore) -> None:
    assert store.add([memory("m1", "Prefers afternoon appointments")]) == 1
    assert store.add([memory("m1", "Prefers afternoon appointments")]) == 0
    assert len(store.get_all(CALLER, AGENT, now=NOW)) == 1


def test_round_trip_keeps_every_field(store: MemoryStore) -> None:
    original = memory("m1", "Has a dog called Biscuit", kind="semantic", source="caller_turn")
    store.add([original])
    (found,) = store.get_all(CALLER, AGENT, now=NOW)
    assert found.id == original.id
    assert found.text == original.text
    assert found.type == "semantic"
    assert found.conversation_id == "conv-m1"
    assert found.metadata.get("source") == "caller_turn"
    assert abs((found.created_at - original.created_at).total_seconds()) < 1
    assert found.expires_at is not None and original.expires_at is not None
    assert abs((found.expires_at - original.expires_at).total_seconds()) < 86_400


def test_search_ranks_within_one_caller_only(store: MemoryStore) -> None:
    store.add(
        [
            memory("m1", "Prefers afternoon appointments after 2pm"),
            memory("m2", "Has a dog called Biscuit", kind="semantic"),
            memory("o1", "Prefers morning appointments", user=OTHER),
        ]
    )
    results = store.search(CALLER, AGENT, "appointments in the afternoon", now=NOW, limit=5)
    assert results and results[0].memory.id == "m1"
    assert all(r.memory.user_id == CALLER for r in results)
    assert store.search(CALLER, AGENT, "Biscuit", now=NOW, limit=5)[0].memory.id == "m2"
    assert [r.memory.id for r in store.search(OTHER, AGENT, "appointments", now=NOW, limit=5)] == ["o1"]


def test_search_respects_limit(store: MemoryStore) -> None:
    store.add([memory(f"m{i}", f"Appointment note number {i}") for i in range(6)])
    assert len(store.search(CALLER, AGENT, "appointment note", now=NOW, limit=3)) == 3


def test_agent_types_are_isolated(store: MemoryStore) -> None:
    store.add(
        [memory("s1", "Support ticket about billing"), memory("x1", "Sales lead with billing budget", agent="sales")]
    )
    assert [m.id for m in store.get_all(CALLER, AGENT, now=NOW)] == ["s1"]
    assert [r.memory.id for r in store.search(CALLER, "sales", "billing", now=NOW, limit=5)] == ["x1"]


def test_expired_memories_are_never_returned_and_are_swept(store: MemoryStore) -> None:
    store.add(
        [memory("live", "Still remembered", expires_in_days=10), memory("gone", "Past retention", expires_in_days=-1)]
    )
    assert [m.id for m in store.get_all(CALLER, AGENT, now=NOW)] == ["live"]
    assert [r.memory.id for r in store.search(CALLER, AGENT, "remembered retention", now=NOW, limit=5)] == ["live"]
    assert store.delete_expired(NOW) == 1
    assert store.delete_expired(NOW) == 0
    later = NOW + timedelta(days=11)
    assert store.get_all(CALLER, AGENT, now=later) == []
    assert store.delete_expired(later) == 1


def test_delete_one(store: MemoryStore) -> None:
    store.add([memory("m1", "First"), memory("m2", "Second")])
    store.delete("m1")
    assert [m.id for m in store.get_all(CALLER, AGENT, now=NOW)] == ["m2"]
    with pytest.raises(NotFound):
        store.delete("m1")


def test_erase_user_removes_every_agent_type_and_only_that_caller(store: MemoryStore) -> None:
    store.add(
        [
            memory("a", "Support memory"),
            memory("b", "Sales memory", agent="sales"),
            memory("c", "Someone else", user=OTHER),
        ]
    )
    assert store.erase_user(CALLER) == 2
    assert store.get_all(CALLER, AGENT, now=NOW) == []
    assert store.get_all(CALLER, "sales", now=NOW) == []
    assert store.search(CALLER, AGENT, "memory", now=NOW, limit=5) == []
    assert [m.id for m in store.get_all(OTHER, AGENT, now=NOW)] == ["c"]


# operator reads: users / scan / page (admin and analytics) ------------------------------------------------------


def test_users_lists_callers_with_live_memories_of_one_agent_type(store: MemoryStore) -> None:
    store.add(
        [
            memory("a", "Support memory"),
            memory("b", "Other caller", user=OTHER),
            memory("c", "Sales only caller", user="+15555550777", agent="sales"),
            memory("d", "Expired caller", user="+15555550888", expires_in_days=-1),
        ]
    )
    assert sorted(store.users(AGENT, now=NOW)) == sorted([CALLER, OTHER])
    assert store.users("sales", now=NOW) == ["+15555550777"]
    assert store.users("nobody", now=NOW) == []


def test_scan_yields_every_live_memory_of_one_agent_type_once(store: MemoryStore) -> None:
    store.add(
        [
            memory("a1", "First", age_days=2),
            memory("a2", "Second", kind="semantic"),
            memory("b1", "Other caller", user=OTHER),
            memory("x1", "Sales", agent="sales"),
            memory("e1", "Expired", expires_in_days=-1),
        ]
    )
    scanned = list(store.scan(AGENT, now=NOW))
    assert sorted(m.id for m in scanned) == ["a1", "a2", "b1"]
    by_id = {m.id: m for m in scanned}
    assert by_id["a2"].type == "semantic" and by_id["b1"].user_id == OTHER and by_id["a1"].conversation_id == "conv-a1"


def test_page_walks_get_all_in_order(store: MemoryStore) -> None:
    store.add([memory(f"m{i}", f"Note {i}", age_days=i + 1) for i in range(7)] + [memory("o", "Other", user=OTHER)])
    store.add([memory("gone", "Expired", age_days=0.5, expires_in_days=-1)])
    pages = [store.page(CALLER, AGENT, now=NOW, limit=3, offset=offset) for offset in (0, 3, 6, 9)]
    assert [[m.id for m in p] for p in pages] == [["m0", "m1", "m2"], ["m3", "m4", "m5"], ["m6"], []]
    assert store.page(CALLER, AGENT, now=NOW, limit=0) == []


def test_a_vector_is_kept_with_its_memory_and_can_be_set_later(store: MemoryStore) -> None:
    """Stores that rank with the shared ranking keep ``Memory.vector`` as opaque bytes; Mem0 ranks itself."""
    if store.ranks_itself:
        assert store.set_vectors([]) == 0
        return
    blob = bytes(range(16))
    store.add([replace(memory("with", "Has a vector"), vector=blob), memory("later", "Gets one later")])
    store.add([memory("with", "Has a vector")])  # redelivered without its vector: the stored one stays
    assert {m.id: m.vector for m in store.get_all(CALLER, AGENT, now=NOW)} == {"with": blob, "later": None}
    assert store.set_vectors([replace(memory("later", "Gets one later"), vector=blob[::-1])]) == 1
    assert store.set_vectors([replace(memory("gone", "Never stored"), vector=blob)]) == 0
    assert {m.id: m.vector for m in store.get_all(CALLER, AGENT, now=NOW)} == {"with": blob, "later": blob[::-1]}


def test_search_marks_a_replaced_field_value_as_past(store: MemoryStore) -> None:
    if store.ranks_itself:
        return
    store.add(
        [
            memory("old", "credit limit: 5000", age_days=30, field="credit_limit", value="5000"),
            memory("new", "credit limit: 8000", age_days=2, field="credit_limit", value="8000"),
        ]
    )
    found = store.search(CALLER, AGENT, "credit limit", now=NOW, limit=3)
    assert [(s.memory.id, s.until is not None) for s in found] == [("new", False), ("old", True)]


def test_a_call_with_a_huge_collected_value_is_stored_whole_call_included(store: MemoryStore) -> None:
    """A 450 KB value (an extraction model pasting the transcript into a field) was copied whole into the memory's
    metadata: DynamoDB's 400 KB item and Firestore's 1 MiB document refused the call, which was dead-lettered."""
    from shared.config.loader import load_agent_type
    from shared.memory.from_call import MAX_TEXT, memories_from_call
    from shared.memory.manager import MemoryManager
    from shared.providers.base import PostCallEvent

    manager = MemoryManager(store, AGENT, load_agent_type("elevenlabs_customer_support").memory, clock=lambda: NOW)
    huge = "the caller said " + "a great deal " * 35_000  # 455 KB
    event = PostCallEvent(
        "k-huge", "post_call_transcription", True, caller=CALLER, conversation_id="conv-huge",
        summary="Dana called about her order.", fields={"caller_name": "Dana", "call_notes": huge},
    )  # fmt: skip
    made = memories_from_call(event, CALLER, manager, received_at=NOW - timedelta(hours=1))
    assert manager.add(made) == len(made) == 3
    stored = {m.metadata.get("field") or m.metadata.get("source"): m for m in store.get_all(CALLER, AGENT, now=NOW)}
    assert set(stored) == {"summary", "caller_name", "call_notes"}
    assert len(stored["call_notes"].text) <= MAX_TEXT and len(stored["call_notes"].metadata["value"]) <= MAX_TEXT
