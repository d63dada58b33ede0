"""A call time given with a UTC offset (an ISO ``startedAt`` of ``-05:00``, a hand-made export line) is kept in UTC,
as every store keeps it: on Mem0, whose metadata holds the time as written, the agent was shown the call's day in
the payload's offset, another day than the embedded store showed for the same call near midnight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.config.loader import load_agent_types
from shared.context import describe
from shared.memory.mem0_codec import add_body, memory_from_item
from shared.memory.models import Memory
from shared.memory.transfer import from_record, to_record
from shared.providers.payload import timestamp

AGENT = "generic_voice_agent"
EVENING_IN_NEW_YORK = "2026-12-07T21:30:00-05:00"  # 02:30 UTC on 8 December


def test_an_iso_call_time_with_an_offset_is_read_in_utc() -> None:
    started = timestamp(EVENING_IN_NEW_YORK)
    assert started == datetime(2026, 12, 8, 2, 30, tzinfo=UTC)
    assert started is not None and started.utcoffset() == timedelta(0)
    assert started.isoformat() == "2026-12-08T02:30:00+00:00"


def test_the_day_shown_to_the_agent_is_the_same_on_mem0_as_on_the_other_stores() -> None:
    started = timestamp(EVENING_IN_NEW_YORK)
    assert started is not None
    memory = Memory(
        id="m_tz1",
        user_id="+15555550181",
        agent_type=AGENT,
        type="factual",
        text="Asked when the replacement router ships.",
        created_at=started,
        expires_at=started + timedelta(days=365),
        conversation_id="call-tz-1",
        metadata={"source": "summary"},
    )
    body = add_body(memory)
    assert body["metadata"]["created_at"] == "2026-12-08T02:30:00+00:00"
    read_back = memory_from_item(
        {"user_id": memory.user_id, "memory": memory.text, "metadata": body["metadata"], "created_at": "x"}
    )
    assert read_back is not None
    config = load_agent_types().agent_types[AGENT]
    assert "the last on 2026-12-08." in describe(config, [read_back], {}, 1)


def test_an_imported_time_with_an_offset_is_kept_in_utc() -> None:
    record = {
        "id": "m_tz2",
        "user_id": "+15555550182",
        "agent_type": AGENT,
        "type": "factual",
        "text": "Prefers a call back after six.",
        "created_at": EVENING_IN_NEW_YORK,
        "expires_at": "2027-12-07T21:30:00-05:00",
    }
    memory = from_record(record)
    assert memory.created_at.utcoffset() == timedelta(0) and memory.expires_at is not None
    assert to_record(memory)["created_at"] == "2026-12-08T02:30:00+00:00"
    assert to_record(memory)["expires_at"] == "2027-12-08T02:30:00+00:00"
