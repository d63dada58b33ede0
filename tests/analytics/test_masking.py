"""Callers are shown masked, never whole: a short number (Niue's seven digits) or a short web id was shown in full
around the stars (``+683***4002`` is ``+6834002``), in the analytics, the admin routes and the erase receipt."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.identity import mask
from shared.memory.models import Memory
from tests.conftest import TEST_SECRETS

ADMIN = {"X-Admin-Key": TEST_SECRETS["ADMIN_API_KEY"]}
AGENT = "generic_voice_agent"
SHORT_IDS = ["+6834002", "alice12", "kiosk-7", "+50012345", "+4930123456"]


def shown(masked: str) -> str:
    return masked.replace("***", "")


@pytest.mark.parametrize("user_id", [*SHORT_IDS, "+15555550123", "u_" + "ab" * 20, "sip:alice@example.com"])
def test_mask_shows_at_most_a_third_at_each_end(user_id: str) -> None:
    masked = mask(user_id)
    assert masked != user_id and "***" in masked
    assert len(shown(masked)) <= 2 * (len(user_id) // 3)
    assert len(user_id) - len(shown(masked)) >= 3  # never all but a digit or two


def test_the_usual_number_keeps_its_familiar_mask() -> None:
    assert mask("+15555550123") == "+155***0123"
    assert mask("123456") == "***"


def get(local: Any, path: str, query: dict[str, str] | None = None) -> dict[str, Any]:
    from shared.http import Request

    response = local.runtime.app.handle(Request.build("GET", path, ADMIN, b"", query or {}))
    assert response.status == 200, response.body
    body: dict[str, Any] = json.loads(response.body)
    return body


def test_short_callers_are_never_whole_in_the_analytics_or_admin_answers(local_runtime: Any) -> None:
    local = local_runtime(AGENT)
    now = datetime.now(UTC)
    local.runtime.store.add(
        [
            Memory(f"m-{user}-{n}", user, AGENT, "factual", f"Call {n}", now - timedelta(hours=n),
                   now + timedelta(days=9), conversation_id=f"c-{n}")
            for user in SHORT_IDS
            for n in range(2)
        ]
    )  # fmt: skip
    agent = get(local, "/analytics/agent", {"days": "7"})
    assert sorted(row["caller"] for row in agent["most_active_callers"]) == sorted(mask(u) for u in SHORT_IDS)
    for user in SHORT_IDS:
        assert get(local, f"/analytics/users/{user}")["caller"] == mask(user)
        assert get(local, f"/admin/users/{user}/memories")["caller"] == mask(user)
        assert len(user) - len(shown(mask(user))) >= 3
