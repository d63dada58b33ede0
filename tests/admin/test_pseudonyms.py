"""Must show: with pseudonymization on, every admin route takes the stored user id (``u_`` + 40 hex, what `memories
export` and the console show) as the caller it names; before, it was hashed again, and an erasure by it erased
nothing and answered 200. A platform's caller id is never taken as a pseudonym."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.http import Request
from shared.identity import is_pseudonym
from tests.conftest import CALLER, TEST_SECRETS, elevenlabs_post_call, pseudonymizing_config, sign_elevenlabs

ADMIN = {"X-Admin-Key": TEST_SECRETS["ADMIN_API_KEY"]}
WORKSPACE = {"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}


@pytest.fixture
def local(local_runtime: Any, tmp_path: Path) -> Any:
    """A pseudonymizing agent type with one processed call of ``CALLER``."""
    local = local_runtime(config_path=pseudonymizing_config(tmp_path))
    body = json.dumps(elevenlabs_post_call(conversation_id="conv_p1")).encode()
    assert local.call("POST", "/post-call", body, {"ElevenLabs-Signature": sign_elevenlabs(body)}).status == 200
    local.drain()
    return local


def stored_id(local: Any) -> str:
    [user_id] = local.runtime.store.users()
    assert is_pseudonym(user_id) and user_id == local.runtime.service.identity.user_id(CALLER)
    return str(user_id)


def admin(local: Any, method: str, path: str, **query: str) -> tuple[int, Any]:
    response = local.runtime.app.handle(Request.build(method, path, ADMIN, b"", query))
    return response.status, json.loads(response.body)


def test_every_admin_route_takes_the_stored_user_id(local: Any) -> None:
    user_id = stored_id(local)
    by_number = admin(local, "GET", f"/admin/users/{CALLER}/memories")[1]
    listed = admin(local, "GET", f"/admin/users/{user_id}/memories")[1]
    assert listed["count"] == by_number["count"] == 5 and listed["memories"] == by_number["memories"]
    preview = admin(local, "GET", f"/admin/users/{user_id}/pre-call")[1]
    assert preview["next_call"]["returning"] is True and preview["next_call"]["memory_count"] == 5
    found = admin(local, "GET", f"/admin/users/{user_id}/search", q="what is the dog called")[1]
    assert "Biscuit" in found["heard"]
    insights = admin(local, "GET", f"/analytics/users/{user_id}")[1]
    assert insights["total_memories"] == 5 and insights["calls"] == 1


def test_erasing_by_the_stored_user_id_erases_the_caller(local: Any) -> None:
    status, erased = admin(local, "DELETE", f"/admin/users/{stored_id(local)}/memories")
    assert status == 200
    assert erased["erased"] == {"memories": 5, "archived_events": 1, "queue_entries": 1}
    events = [entry for entry in local.runtime.archive.entries() if not entry.key.startswith("erased/")]
    assert local.runtime.store.users() == [] and events == []  # beside the record of when it was erased
    assert admin(local, "GET", f"/admin/users/{CALLER}/memories")[1]["count"] == 0


def test_a_platform_cannot_reach_a_caller_by_their_pseudonym(local: Any) -> None:
    """A web widget's caller id is whatever the page sends: the pseudonym is hashed again there, as any id is."""
    user_id = stored_id(local)
    pre = json.loads(local.call("POST", "/client-data", {"caller_id": user_id}, WORKSPACE).body)
    assert pre["dynamic_variables"]["returning_caller"] == "no"
    tool = json.loads(local.call("POST", "/retrieve", {"query": "dog", "user_id": user_id}, WORKSPACE).body)
    assert tool["memories"] == []


@pytest.mark.parametrize("near_miss", ["U_{hex}", "u_{upper}", "u_{hex}0", "u-{hex}", "x_{hex}"])
def test_only_exactly_a_pseudonym_is_taken_as_one(local: Any, near_miss: str) -> None:
    user_id = stored_id(local)
    typed = near_miss.format(hex=user_id[2:], upper=user_id[2:].upper())
    status, listed = admin(local, "GET", f"/admin/users/{typed}/memories")
    assert status == 200 and listed["count"] == 0  # hashed as any other id: nobody's
