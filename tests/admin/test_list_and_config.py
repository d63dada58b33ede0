"""GET /admin/users/{id}/memories is paged; GET /admin/config shows the effective config, secrets by name only."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.memory.models import Memory
from tests.conftest import CALLER, TEST_SECRETS

ADMIN = {"X-Admin-Key": TEST_SECRETS["ADMIN_API_KEY"]}
AGENT = "elevenlabs_customer_support"


@pytest.fixture
def local(local_runtime: Any) -> Any:
    made = local_runtime(AGENT)
    now = datetime.now(UTC)
    live = [
        Memory(f"m{i:02d}", CALLER, AGENT, "factual", f"Fact {i}", now - timedelta(hours=i), now + timedelta(days=9))
        for i in range(23)
    ]
    gone = Memory("gone", CALLER, AGENT, "factual", "Expired", now - timedelta(days=9), now - timedelta(seconds=1))
    made.runtime.store.add([*live, gone])
    return made


def page(local: Any, **query: str) -> tuple[int, dict[str, Any]]:
    from shared.http import Request

    response = local.runtime.app.handle(Request.build("GET", f"/admin/users/{CALLER}/memories", ADMIN, b"", query))
    return response.status, json.loads(response.body)


def test_pages_walk_every_live_memory_once_newest_first(local: Any) -> None:
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        status, body = page(local, limit="10", offset=str(offset))
        assert status == 200 and body["limit"] == 10 and body["offset"] == offset
        assert body["count"] == len(body["memories"]) <= 10
        seen += [m["id"] for m in body["memories"]]
        offset = body["next_offset"]
    assert seen == [f"m{i:02d}" for i in range(23)]  # the expired one is never listed


def test_default_page_and_shape(local: Any) -> None:
    status, body = page(local)
    assert status == 200 and body["limit"] == 50 and body["next_offset"] is None and body["count"] == 23
    assert body["caller"] == "+155***0123" and CALLER not in json.dumps(body)
    first = body["memories"][0]
    assert set(first) == {
        "id", "type", "text", "created_at", "expires_at", "conversation_id", "source", "field", "past", "past_since"
    }  # fmt: skip


@pytest.mark.parametrize("query", [{"limit": "0"}, {"limit": "501"}, {"limit": "ten"}, {"offset": "-1"}])
def test_bad_paging_is_a_400(local: Any, query: dict[str, str]) -> None:
    status, body = page(local, **query)
    assert status == 400 and body["error"].startswith("query parameter")


def test_a_caller_id_that_is_neither_a_number_nor_an_id_is_a_422(local: Any) -> None:
    assert local.call("GET", "/admin/users/not%20a%20caller!/memories", b"", ADMIN).status == 422


@pytest.mark.parametrize("agent_type", ["elevenlabs_customer_support", "generic_voice_agent", "retell_appointments"])
def test_config_is_the_effective_one_with_secret_names_only(local_runtime: Any, agent_type: str) -> None:
    local = local_runtime(agent_type)
    response = local.call("GET", "/admin/config", b"", ADMIN)
    assert response.status == 200
    text = response.body.decode()
    for value in TEST_SECRETS.values():
        assert value not in text
    config = json.loads(text)
    profile = local.runtime.profile
    assert config["agent_type"] == agent_type and config["provider"] == profile.config.provider
    assert config["settings"] == {"memory_backend": "sqlite"}
    for endpoint in ("client_data", "retrieve", "post_call"):
        assert config["endpoints"][endpoint]["auth"]["secret"] == profile.auth[endpoint].secret
        assert config["endpoints"][endpoint]["enabled"] is profile.enabled(endpoint)
        assert config["endpoints"][endpoint]["field_mappings"]  # provider defaults filled in
    assert config["secrets"]["ADMIN_API_KEY"] == "set"
    assert set(config["secrets"].values()) == {"set"}
    assert config["memory"]["retention_days"] == profile.config.memory.retention_days
    assert config["archive_retention_days"] == max(profile.config.memory.retention_days.values())
    assert config["analytics"]["topics"]["billing"][0] == "bill"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_config_is_read_only(local_runtime: Any, method: str) -> None:
    local = local_runtime()
    response = local.call(method, "/admin/config", {"memory": {"search_limit": 50}}, ADMIN)
    assert response.status == 405
    assert local.runtime.profile.config.memory.search_limit == 3
