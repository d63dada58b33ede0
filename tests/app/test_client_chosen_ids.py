"""An id the client chooses (ElevenLabs' ``user_id`` on a web or widget conversation) never reaches a phone caller:
a visitor who types a victim's number gets a memory of their own, and the victim's next call is untouched."""

from __future__ import annotations

import json
from typing import Any

from shared.providers.base import client_chosen
from tests.conftest import CALLER, TEST_SECRETS, elevenlabs_post_call, sign_elevenlabs

WORKSPACE = {"x-workspace-key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}


def post_call(local: Any, event: dict[str, Any]) -> None:
    body = json.dumps(event).encode()
    assert local.call("POST", "/post-call", body, {"ElevenLabs-Signature": sign_elevenlabs(body)}).status == 200


def pre_call(local: Any, body: dict[str, Any]) -> dict[str, Any]:
    answer = local.call("POST", "/client-data", body, WORKSPACE)
    assert answer.status == 200
    variables: dict[str, Any] = json.loads(answer.body)["dynamic_variables"]
    return variables


def web_call(conversation_id: str, user_id: str, name: str) -> dict[str, Any]:
    event = elevenlabs_post_call(caller=None, conversation_id=conversation_id, name=name)
    event["data"]["metadata"]["phone_call"] = None
    event["data"]["user_id"] = user_id
    return event


def test_a_web_visitor_typing_a_phone_callers_number_neither_writes_nor_reads_their_memories(
    local_runtime: Any,
) -> None:
    local = local_runtime()
    post_call(local, elevenlabs_post_call(conversation_id="conv_phone_1", name="Priya Raman"))
    post_call(local, web_call("conv_web_1", "+1 555 555 0123", "Mallory Stone"))  # the victim's number
    local.drain()
    victim = pre_call(local, {"caller_id": CALLER, "agent_id": "agent_1", "call_sid": "CA1"})
    assert victim["caller_name"] == "Priya Raman" and victim["call_count"] == "1"
    assert "Mallory" not in json.dumps(victim)
    visitor = pre_call(local, {"agent_id": "agent_1", "user_id": "+1 555 555 0123"})
    assert visitor["caller_name"] == "Mallory Stone" and "Priya" not in json.dumps(visitor)


def test_a_web_users_own_id_is_kept_as_it_was() -> None:
    assert client_chosen("user_8f3a2c") == "user_8f3a2c"  # memories stored under it before stay theirs
    assert client_chosen("+1 555 555 0123") == "web:+15555550123"
    assert client_chosen("sip:+15555550123@pbx.example.com") == "web:sip+15555550123@pbx.example.com"
    assert client_chosen("1001") is None and client_chosen(" ") is None


def test_a_web_visitor_typing_the_number_exactly_as_a_caller_id_is_still_kept_apart(local_runtime: Any) -> None:
    """``+15555550123`` is already the caller id it normalizes to: it must not reach that caller either."""
    local = local_runtime()
    post_call(local, elevenlabs_post_call(conversation_id="conv_phone_2", name="Priya Raman"))
    post_call(local, web_call("conv_web_2", CALLER, "Mallory Stone"))  # the victim's number, in E.164
    local.drain()
    visitor = pre_call(local, {"agent_id": "agent_1", "user_id": CALLER})
    assert visitor["caller_id"] == "web:" + CALLER
    assert "Priya" not in json.dumps(visitor) and visitor["caller_name"] == "Mallory Stone"
    victim = pre_call(local, {"caller_id": CALLER, "agent_id": "agent_1", "call_sid": "CA2"})
    assert victim["caller_name"] == "Priya Raman" and victim["call_count"] == "1"
    assert "Mallory" not in json.dumps(victim)


def test_a_client_chosen_id_written_as_a_caller_id_is_namespaced() -> None:
    assert client_chosen("+15555550123") == "web:+15555550123"
    assert client_chosen("sip:1001@pbx.example.com") == "web:sip1001@pbx.example.com"
