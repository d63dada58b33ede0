"""The ElevenLabs paths end to end through the neutral app, on the embedded store."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from shared.errors import ConfigError
from shared.providers.base import NO_QUERY
from tests.conftest import CALLER, OTHER_CALLER, TEST_SECRETS, elevenlabs_post_call, sign_elevenlabs

WORKSPACE = {"x-workspace-key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}


def post_call(local: Any, event: dict[str, Any], *, at: int | None = None) -> Any:
    body = json.dumps(event).encode()
    return local.call("POST", "/post-call", body, {"ElevenLabs-Signature": sign_elevenlabs(body, at=at)})


def _flip_last(signature: str) -> str:
    """Change the last hex digit, whatever it is."""
    return signature[:-1] + ("1" if signature[-1] == "0" else "0")


def pre_call(local: Any, caller: str = "+1 (555) 555-0123") -> dict[str, Any]:
    response = local.call(
        "POST",
        "/client-data",
        {"caller_id": caller, "agent_id": "agent_1", "called_number": "+15555550100", "call_sid": "CA1"},
        WORKSPACE,
    )
    assert response.status == 200
    body: dict[str, Any] = json.loads(response.body)
    return body


def test_new_caller_gets_every_variable_as_strings(local_runtime: Any) -> None:
    answer = pre_call(local_runtime())
    assert answer["type"] == "conversation_initiation_client_data"
    variables = answer["dynamic_variables"]
    for name in ("caller_id", "memory_count", "returning_caller", "memory_summary", "memory_context", "caller_name"):
        assert isinstance(variables[name], str)
    assert variables["returning_caller"] == "no"
    assert variables["memory_count"] == "0"
    assert variables["caller_name"] == ""
    assert "prompt" not in answer.get("conversation_config_override", {}).get("agent", {})


def test_caller_is_remembered_from_one_call_to_the_next(local_runtime: Any) -> None:
    local = local_runtime()
    assert post_call(local, elevenlabs_post_call()).status == 200
    local.drain()
    answer = pre_call(local, "+1 555-555-0123")
    variables = answer["dynamic_variables"]
    assert variables["caller_id"] == CALLER
    assert variables["returning_caller"] == "yes"
    assert variables["caller_name"] == "Dana Whitfield"
    assert variables["call_count"] == "1"
    assert "Dana" in answer["conversation_config_override"]["agent"]["first_message"]
    assert "move her cleaning to next week" in variables["memory_context"]
    assert "move her cleaning" in variables["memory_summary"]
    tool = local.call("POST", "/retrieve", {"query": "what is the dog called", "user_id": "(555) 555-0123"}, WORKSPACE)
    found = json.loads(tool.body)
    assert tool.status == 200
    assert any("Biscuit" in m["text"] for m in found["memories"])
    assert "Biscuit" in found["result"]


def test_same_event_three_times_leaves_one_set_of_memories(local_runtime: Any) -> None:
    local = local_runtime()
    event = elevenlabs_post_call()
    statuses = []
    for _ in range(3):
        response = post_call(local, event)
        assert response.status == 200
        statuses.append(json.loads(response.body)["status"])
        local.drain()
    assert statuses == ["queued", "duplicate", "duplicate"]
    memories = local.runtime.service.manager.recent(CALLER)
    texts = [m.text for m in memories]
    assert len(texts) == len(set(texts)) == 5  # summary, two extracted fields, two caller turns
    assert local.queue.counts() == {"done": 1}


def test_callers_are_isolated(local_runtime: Any) -> None:
    local = local_runtime()
    post_call(local, elevenlabs_post_call())
    local.drain()
    assert pre_call(local, OTHER_CALLER)["dynamic_variables"]["returning_caller"] == "no"
    tool = local.call("POST", "/retrieve", {"query": "Biscuit", "user_id": OTHER_CALLER}, WORKSPACE)
    assert json.loads(tool.body)["count"] == 0


def test_web_call_without_phone_is_remembered_under_its_user_id(local_runtime: Any) -> None:
    local = local_runtime()
    event = elevenlabs_post_call(caller=None, conversation_id="conv_web_1")
    event["data"]["conversation_initiation_client_data"]["dynamic_variables"]["user_id"] = "web_user_42"
    assert json.loads(post_call(local, event).body)["status"] == "queued"
    local.drain()
    assert pre_call(local, "web_user_42")["dynamic_variables"]["caller_name"] == "Dana Whitfield"


def test_web_call_without_any_id_is_archived_not_remembered(local_runtime: Any) -> None:
    local = local_runtime()
    event = elevenlabs_post_call(caller=None, conversation_id="conv_web_2")
    response = post_call(local, event)
    assert response.status == 200
    assert json.loads(response.body)["status"] == "archived"
    assert [e.key for e in local.runtime.archive.entries()] == ["post_call_transcription:conv_web_2"]
    local.drain()
    assert local.queue.counts() == {}


@pytest.mark.parametrize("event_type", ["post_call_audio", "call_initiation_failure", "something_new"])
def test_other_event_types_are_acknowledged_and_stored_nowhere(local_runtime: Any, event_type: str) -> None:
    local = local_runtime()
    event = {
        "type": event_type,
        "event_timestamp": int(time.time()),
        "data": {"agent_id": "a", "conversation_id": "conv_x", "full_audio": "AAAA", "failure_reason": "busy"},
    }
    response = post_call(local, event)
    assert response.status == 200
    assert json.loads(response.body)["status"] == "ignored"
    assert list(local.runtime.archive.entries()) == []
    assert local.queue.counts() == {}


def test_bad_signature_is_401_and_stores_nothing(local_runtime: Any) -> None:
    local = local_runtime()
    body = json.dumps(elevenlabs_post_call()).encode()
    for headers in (
        {},
        {"ElevenLabs-Signature": sign_elevenlabs(body, key="wrong")},
        {"ElevenLabs-Signature": sign_elevenlabs(body, at=int(time.time()) - 3600)},
        {"ElevenLabs-Signature": _flip_last(sign_elevenlabs(body))},
    ):
        response = local.call("POST", "/post-call", body, headers)
        assert response.status == 401
        assert set(json.loads(response.body)) == {"error"}
    assert list(local.runtime.archive.entries()) == []


def test_tool_and_pre_call_need_the_workspace_key(local_runtime: Any) -> None:
    local = local_runtime()
    for path, body in (("/client-data", {"caller_id": CALLER}), ("/retrieve", {"query": "x", "user_id": CALLER})):
        assert local.call("POST", path, body, {}).status == 401
        assert local.call("POST", path, body, {"X-Workspace-Key": "nope"}).status == 401
        # the post-call HMAC key is not a workspace key
        assert local.call("POST", path, body, {"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_HMAC_KEY"]}).status == 401


def test_missing_secret_stops_start_up(local_runtime: Any) -> None:
    secrets = {k: v for k, v in TEST_SECRETS.items() if k != "ELEVENLABS_HMAC_KEY"}
    with pytest.raises(ConfigError, match="ELEVENLABS_HMAC_KEY"):
        local_runtime(secrets=secrets)


def test_errors_are_json_with_the_right_status(local_runtime: Any) -> None:
    local = local_runtime()
    cases = [
        ("POST", "/client-data", b"{not json", WORKSPACE, 400),
        ("POST", "/client-data", b"[1, 2]", WORKSPACE, 400),
        ("POST", "/retrieve", json.dumps({"user_id": CALLER}).encode(), WORKSPACE, 422),
        ("POST", "/client-data", b"{" + b" " * (1024 * 1024) + b"}", WORKSPACE, 413),
        ("GET", "/nowhere", b"", {}, 404),
        ("GET", "/client-data", b"", WORKSPACE, 405),
    ]
    for method, path, body, headers, status in cases:
        response = local.call(method, path, body, headers)
        assert response.status == status, (path, body[:40], response.body)
        error = json.loads(response.body)["error"]
        assert isinstance(error, str) and error
        assert "Traceback" not in error
    missing = json.loads(local.call("POST", "/retrieve", {"user_id": CALLER}, WORKSPACE).body)["error"]
    assert "query" in missing  # a tool set up without it: said plainly
    # an empty question is the model's slip, not a broken request: guidance, as on every platform
    for empty in (" ", None):  # an LLM fills an argument it has nothing for with null as often as ""
        unasked = local.call("POST", "/retrieve", {"query": empty, "user_id": CALLER}, WORKSPACE)
        assert unasked.status == 200 and json.loads(unasked.body)["result"] == NO_QUERY


def test_prompt_is_replaced_only_when_configured(local_runtime: Any, tmp_path: Any) -> None:
    from shared.config.loader import load_agent_type
    from shared.config.models import ResponseConfig
    from shared.providers.base import CallerContext
    from shared.providers.elevenlabs import ElevenLabsProvider

    agent = load_agent_type("elevenlabs_customer_support")
    context = CallerContext(
        caller_id=CALLER,
        user_id=CALLER,
        returning=True,
        memory_count=1,
        call_count=1,
        summary="s",
        context="CTX",
        first_message="Hi",
        fields={"caller_name": "Dana"},
    )
    plain = ElevenLabsProvider().format_pre_call(context, agent=agent)
    assert "prompt" not in plain["conversation_config_override"]["agent"]
    custom = agent.model_copy(
        update={"response": ResponseConfig(prompt_override="You help. Memory: {{memory_context}}")}
    )
    answer = ElevenLabsProvider().format_pre_call(context, agent=custom)
    assert answer["conversation_config_override"]["agent"]["prompt"]["prompt"] == "You help. Memory: CTX"


def test_logs_carry_no_number_transcript_or_secret(local_runtime: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    local = local_runtime()
    post_call(local, elevenlabs_post_call())
    local.drain()
    pre_call(local)
    local.call("POST", "/retrieve", {"query": "dog", "user_id": CALLER}, WORKSPACE)
    local.call("GET", f"/admin/users/{CALLER}/memories", None, {"X-Admin-Key": TEST_SECRETS["ADMIN_API_KEY"]})
    local.call("POST", "/client-data", b"{broken", WORKSPACE)
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert caplog.records, "the service should log something"
    for forbidden in ("5555550123", "Biscuit", "Dana", *TEST_SECRETS.values()):
        assert forbidden not in text


def test_a_replaced_value_comes_back_marked_past_with_the_summary_that_stated_it(local_runtime: Any) -> None:
    local = local_runtime()
    now = int(time.time())
    for conversation, days_ago, size, summary in (
        ("conv_party_1", 20, "8", "Dana booked a table for 8 people on Friday for her mother's birthday."),
        ("conv_party_2", 2, "6", "Dana changed the booking: two guests cancelled, so the table is now for 6 people."),
    ):
        event = elevenlabs_post_call(conversation_id=conversation, summary=summary, started=now - days_ago * 86_400)
        event["data"]["analysis"]["data_collection_results"]["party_size"] = {
            "data_collection_id": "party_size",
            "value": size,
            "json_schema": {"type": "string"},
            "rationale": "The caller gave the number of guests.",
        }
        assert post_call(local, event).status == 200
    local.drain()
    tool = local.call("POST", "/retrieve", {"query": "how many guests are coming", "user_id": CALLER}, WORKSPACE)
    assert tool.status == 200
    found = json.loads(tool.body)["memories"]
    old = [m for m in found if "8 people" in m["text"] or m["text"].endswith("party size: 8")]
    assert old, found  # the old value is there to be read, marked as past
    assert all(m["text"].startswith("previously: ") and "until" in m for m in old)
    summary = [m["text"] for m in old if "8 people" in m["text"]]
    assert summary and all(t.endswith("(changed since: party size)") for t in summary)  # which of its facts is past
    current = [i for i, m in enumerate(found) if "6 people" in m["text"] or "party size: 6" in m["text"]]
    assert current and all("until" not in found[i] for i in current)


def test_a_call_with_a_start_time_of_zero_is_remembered(local_runtime: Any) -> None:
    """``start_time_unix_secs: 0`` stands for no start time: a call in 1970 would expire before it was written."""
    local = local_runtime()
    event = elevenlabs_post_call()
    event["data"]["metadata"]["start_time_unix_secs"] = 0
    assert json.loads(post_call(local, event).body)["status"] == "queued"
    local.drain()
    memories = local.runtime.service.manager.recent(CALLER)
    assert memories and all(m.created_at.year >= 2000 for m in memories)
    assert pre_call(local)["dynamic_variables"]["returning_caller"] == "yes"


def test_a_call_dated_in_the_future_is_dated_when_it_was_received(local_runtime: Any) -> None:
    """A start time in 2100 would keep the memories past their retention and make them the newest facts."""
    local = local_runtime()
    assert post_call(local, elevenlabs_post_call(started=4_102_444_800)).status == 200
    local.drain()
    now = local.runtime.clock()
    memories = local.runtime.service.manager.recent(CALLER)
    assert memories and all(m.created_at <= now for m in memories)
    assert all(m.expires_at is not None and (m.expires_at - now).days <= 730 for m in memories)
    assert pre_call(local)["dynamic_variables"]["returning_caller"] == "yes"


def test_a_field_named_like_our_variables_never_replaces_them() -> None:
    """An auto-extracted field or a pre-call processor's variable called ``caller_id`` or ``memory_count`` is not
    the caller's number or how much we remember."""
    from shared.providers.base import CallerContext

    fields = {"caller_id": "+15555550199", "memory_count": "99", "memory_status": "ok", "caller_name": "Dana"}
    context = CallerContext(
        caller_id=CALLER, user_id=CALLER, returning=True, memory_count=3, call_count=1, summary="s",
        context="CTX", first_message="Hi", fields=fields, degraded=True,
    )  # fmt: skip
    variables = context.variables()
    assert (variables["caller_id"], variables["memory_count"], variables["memory_status"]) == (CALLER, "3", "degraded")
    assert variables["caller_name"] == "Dana"


@pytest.mark.parametrize("query", ["?", "...", " ¿? ", "-"])
def test_a_question_of_punctuation_alone_gets_the_same_guidance_as_an_empty_one(local_runtime: Any, query: str) -> None:
    """The caller has memories; "?" asks for none of them, so the agent is told to ask, not handed three."""
    local = local_runtime()
    assert post_call(local, elevenlabs_post_call()).status == 200
    local.drain()
    answer = json.loads(local.call("POST", "/retrieve", {"query": query, "user_id": CALLER}, WORKSPACE).body)
    assert answer["result"] == NO_QUERY and answer["memories"] == []
    found = json.loads(local.call("POST", "/retrieve", {"query": "dog?", "user_id": CALLER}, WORKSPACE).body)
    assert any("Biscuit" in m["text"] for m in found["memories"])


def test_markup_in_the_name_field_is_never_greeted_nor_sent_as_the_name(local_runtime: Any) -> None:
    """A name field holding markup ("<img src=x onerror=alert(1)>") was greeted "Hello <Img, welcome back!" and
    handed to the agent's prompt as ``caller_name``: it is no name."""
    local = local_runtime()
    body = json.dumps(elevenlabs_post_call(name="<img src=x onerror=alert(1)>")).encode()
    headers = {"elevenlabs-signature": sign_elevenlabs(body)}
    assert local.call("POST", "/post-call", body, headers).status == 200
    local.drain()
    pre = local.call("POST", "/client-data", {"caller_id": CALLER}, WORKSPACE)
    variables = json.loads(pre.body)["dynamic_variables"]
    assert variables["returning_caller"] == "yes" and variables["caller_name"] == ""
    first = json.loads(pre.body)["conversation_config_override"]["agent"]["first_message"]
    assert "<" not in first and "img" not in first.lower()
