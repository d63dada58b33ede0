"""The console's caller routes: the pre-call preview is the platform's own answer, the search preview the in-call
tool's, neither writes or counts anything, and past field values are marked."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.memory.models import Memory
from tests.conftest import CALLER, TEST_SECRETS
from tests.providers.events import (
    VAPI_BEARER,
    VAPI_HEADERS,
    retell_call_inbound,
    retell_function,
    retell_signed,
    vapi_assistant_request,
    vapi_tool_calls,
)

ADMIN = {"X-Admin-Key": TEST_SECRETS["ADMIN_API_KEY"]}
NOW = datetime.now(UTC)


def remembered(local: Any, *, days_ago: int, name: str, conversation: str) -> list[Memory]:
    """One call's memories as the worker writes them: a summary, a collected name, a caller's turn."""
    memory = local.runtime.profile.config.memory
    when = NOW - timedelta(days=days_ago)
    meta = {"conversation_id": conversation, "event": f"e:{conversation}"}

    def build(part: str, type_: str, text: str, **extra: str) -> Memory:
        return local.runtime.service.manager.build(
            id=f"{conversation}-{part}",
            user_id=CALLER,
            type=type_,
            text=text,
            created_at=when,
            conversation_id=conversation,
            metadata={**meta, **extra},
        )

    return [
        build("summary", memory.summary_type, f"{name} asked to move the cleaning.", source="summary"),
        build(
            "name",
            memory.default_field_type,
            f"caller name: {name}",
            source="extraction",
            field="caller_name",
            value=name,
        ),
        build("turn", memory.transcript_type, "My dog Biscuit has surgery on Monday.", source="caller_turn"),
    ]


def seeded(local_runtime: Any, agent_type: str) -> Any:
    local = local_runtime(agent_type)
    local.runtime.service.manager.add(
        [
            *remembered(local, days_ago=3, name="Dana Whitfield", conversation="c1"),
            *remembered(local, days_ago=1, name="Dana Ortiz", conversation="c2"),
        ]
    )
    return local


def admin_get(local: Any, path: str, **query: str) -> tuple[int, Any]:
    from shared.http import Request

    response = local.runtime.app.handle(Request.build("GET", path, ADMIN, b"", query))
    return response.status, json.loads(response.body)


def client_data(local: Any) -> Any:
    provider = local.runtime.profile.config.provider
    if provider == "vapi":
        response = local.call("POST", "/client-data", vapi_assistant_request("555.555.0123"), VAPI_BEARER)
    elif provider == "retell":
        body, headers = retell_signed(retell_call_inbound("+1 555 555 0123"))
        response = local.call("POST", "/client-data", body, headers)
    elif provider == "elevenlabs":
        body = {"caller_id": "+15555550123", "agent_id": "a", "called_number": "+15555550100", "call_sid": "CA1"}
        response = local.call(
            "POST", "/client-data", body, {"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}
        )
    else:
        body = {"caller_id": "+15555550123"}
        response = local.call("POST", "/client-data", body, {"X-API-Key": TEST_SECRETS["GENERIC_API_KEY"]})
    assert response.status == 200, response.body
    return json.loads(response.body)


@pytest.mark.parametrize(
    "agent_type", ["elevenlabs_customer_support", "vapi_receptionist", "retell_appointments", "generic_voice_agent"]
)
def test_the_preview_is_the_answer_the_platform_gets(local_runtime: Any, agent_type: str) -> None:
    local = seeded(local_runtime, agent_type)
    status, preview = admin_get(local, "/admin/users/(555)%20555-0123/pre-call")
    assert status == 200
    assert preview["answer"] == client_data(local)
    assert preview["caller"] == "+155***0123" and preview["agent_type"] == agent_type
    assert preview["next_call"]["returning"] is True and preview["next_call"]["call_count"] == 2


def test_a_new_caller_previews_as_new(local_runtime: Any) -> None:
    local = local_runtime()
    status, preview = admin_get(local, "/admin/users/+15555550177/pre-call")
    assert status == 200 and preview["next_call"]["returning"] is False
    assert preview["answer"]["dynamic_variables"]["returning_caller"] == "no"


def test_the_search_preview_is_what_the_tool_answers(local_runtime: Any) -> None:
    local = seeded(local_runtime, "elevenlabs_customer_support")
    status, found = admin_get(local, "/admin/users/555-555-0123/search", q="what is the dog called")
    tool = local.call(
        "POST",
        "/retrieve",
        {"query": "what is the dog called", "user_id": CALLER},
        {"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]},
    )
    assert status == 200 and found["answer"] == json.loads(tool.body)
    assert "Biscuit" in found["answer"]["result"] and found["matches"] == found["answer"]["memories"]
    assert found["heard"] == found["answer"]["result"]


@pytest.mark.parametrize("agent_type", ["vapi_receptionist", "retell_appointments"])
def test_the_search_preview_carries_the_tools_result_on_every_platform(local_runtime: Any, agent_type: str) -> None:
    local = seeded(local_runtime, agent_type)
    _, found = admin_get(local, f"/admin/users/{CALLER}/search", q="surgery")
    if agent_type == "vapi_receptionist":
        tool = json.loads(local.call("POST", "/retrieve", vapi_tool_calls("surgery"), VAPI_HEADERS).body)
        assert [r["result"] for r in found["answer"]["results"]] == [r["result"] for r in tool["results"]]
        assert found["answer"]["results"][0]["toolCallId"] == "console-preview"
    else:
        body, headers = retell_signed(retell_function("surgery"))
        assert found["answer"] == json.loads(local.call("POST", "/retrieve", body, headers).body)


@pytest.mark.parametrize("query", [{}, {"q": "   "}, {"q": "x" * 1001}])
def test_a_search_without_a_question_is_a_400(local_runtime: Any, query: dict[str, str]) -> None:
    status, body = admin_get(local_runtime(), f"/admin/users/{CALLER}/search", **query)
    assert status == 400 and body["error"].startswith("query parameter q")


@pytest.mark.parametrize("path", ["pre-call", "search"])
def test_the_previews_need_the_admin_key(local_runtime: Any, path: str) -> None:
    local = local_runtime()
    for headers in ({}, {"X-Admin-Key": "wrong"}, {"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}):
        assert local.call("GET", f"/admin/users/{CALLER}/{path}", None, headers).status == 401


def test_a_bad_caller_is_a_422(local_runtime: Any) -> None:
    assert admin_get(local_runtime(), "/admin/users/not%20a%20caller!/pre-call")[0] == 422


def snapshot(data_dir: Path) -> dict[str, str]:
    """Every file's content (SQLite's shared-memory index aside: readers mark their place in it)."""
    return {
        str(path.relative_to(data_dir)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(data_dir.rglob("*"))
        if path.is_file() and not path.name.endswith("-shm")
    }


def test_previews_write_and_count_nothing(local_runtime: Any) -> None:
    local = seeded(local_runtime, "elevenlabs_customer_support")
    local.runtime.store.close()  # settle the WAL into the database file first
    before = snapshot(local.data_dir)
    analytics = [admin_get(local, path)[1] for path in ("/analytics/agent", f"/analytics/users/{CALLER}")]
    for _ in range(3):
        assert admin_get(local, f"/admin/users/{CALLER}/pre-call")[0] == 200
        assert admin_get(local, f"/admin/users/{CALLER}/search", q="dog")[0] == 200
        assert admin_get(local, "/admin/users/+15555550177/pre-call")[0] == 200
    assert [admin_get(local, path)[1] for path in ("/analytics/agent", f"/analytics/users/{CALLER}")] == analytics
    local.runtime.store.close()
    assert snapshot(local.data_dir) == before


def test_listing_marks_a_changed_field_value_as_past(local_runtime: Any) -> None:
    local = seeded(local_runtime, "elevenlabs_customer_support")
    _, listing = admin_get(local, f"/admin/users/{CALLER}/memories")
    by_text = {m["text"]: m for m in listing["memories"]}
    old, new = by_text["caller name: Dana Whitfield"], by_text["caller name: Dana Ortiz"]
    assert old["past"] is True and old["past_since"] == new["created_at"] and old["field"] == "caller_name"
    assert new["past"] is False and new["past_since"] is None
    assert not any(m["past"] for m in listing["memories"] if m["field"] is None)
    # on a later page, whatever came before it still decides
    _, second = admin_get(local, f"/admin/users/{CALLER}/memories", limit="4", offset="4")
    assert [m["text"] for m in second["memories"] if m["past"]] == ["caller name: Dana Whitfield"]


def test_the_preview_is_the_callers_own_variants_answer(tmp_path: Path) -> None:
    """Under an experiment each caller's answer has their variant's settings (greeting, limits): the preview too."""
    from tests.experiments.helpers import EXPERIMENT, write_config
    from tests.experiments.helpers import local_runtime as experiment_runtime

    local = experiment_runtime(write_config(tmp_path, experiments={"recall": EXPERIMENT}), tmp_path / "data")
    headers = {"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}
    variants = set()
    for n in range(12):
        caller = f"+1555555{2000 + n:04d}"
        _, preview = admin_get(local, f"/admin/users/{caller}/pre-call")
        answer = json.loads(local.call("POST", "/client-data", {"caller_id": caller}, headers).body)
        assert preview["answer"] == answer
        variants.add(answer["dynamic_variables"]["memory_variant"])
    assert variants == {"recall:control", "recall:long"}
    local.runtime.store.close()
    local.queue.close()
