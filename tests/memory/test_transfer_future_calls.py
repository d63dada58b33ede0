"""An import line of a call in the future (a clock years ahead, a hand-made file) is a bad line: imported, it was the
caller's newest call for years, and the pre-call told the agent "the last on 2028-01-11". A clock a little ahead (an
export read back at once on another machine) is not refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.memory.sqlite import SqliteMemoryStore
from shared.memory.transfer import import_lines

AGENT = "elevenlabs_customer_support"
CALLER = "+15555550195"
NOW = datetime(2026, 12, 7, 22, 30, tzinfo=UTC)


def line(memory_id: str, created_at: datetime) -> str:
    return json.dumps(
        {
            "id": memory_id,
            "user_id": CALLER,
            "agent_type": AGENT,
            "type": "factual",
            "text": "Asked about a refund for order 5512.",
            "created_at": created_at.isoformat(),
            "expires_at": (created_at + timedelta(days=365)).isoformat(),
            "conversation_id": f"conv_{memory_id}",
            "metadata": {"source": "summary"},
        }
    )


def test_a_call_in_the_future_is_a_bad_line_naming_the_field_only(tmp_path: Path) -> None:
    store = SqliteMemoryStore(tmp_path / "memories.db")
    lines = [line("m_past", NOW - timedelta(days=3)), line("m_future", NOW + timedelta(days=400))]
    with pytest.raises(ValueError, match=r"^line 2: field created_at: in the future") as raised:
        import_lines(store, lines, now=NOW)
    assert "2028" not in str(raised.value) and "refund" not in str(raised.value)
    assert store.get_all(CALLER, AGENT, now=NOW) == []  # the batch with the bad line is not added


def test_a_clock_a_minute_ahead_is_not_refused(tmp_path: Path) -> None:
    store = SqliteMemoryStore(tmp_path / "memories.db")
    report = import_lines(store, [line("m_skew", NOW + timedelta(minutes=1))], now=NOW)
    assert report.added == 1
