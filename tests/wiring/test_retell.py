"""Retell wiring against a fake Retell on a real socket: the exact requests (publishing again a published
agent), no change on a second run, the undo restoring the agent, the LLM and the number, the platform's message."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from functions.wiring import Endpoints, PlatformError, WiringError
from functions.wiring.retell import RetellTarget, api, custom_tool, unwire, wire
from shared.secrets import Secret
from tests.fakes.retell_api import AGENT_ID, EXISTING_TOOL, LLM_ID, PHONE_NUMBER, FakeRetell, sample_agent

API_KEY = "key_retell_test_8d2f"
BASE = "https://memory.example.com"
ENDPOINTS = Endpoints(BASE)
NUMBER_PATH = "+15555550100"


@pytest.fixture
def fake() -> Iterator[FakeRetell]:
    with FakeRetell(API_KEY) as server:
        yield server


def run(fake: FakeRetell, state: dict[str, Any] | None = None, number: str | None = PHONE_NUMBER):  # type: ignore[no-untyped-def]
    with api(Secret(API_KEY), fake.url) as client:
        return wire(client, RetellTarget(AGENT_ID, number), ENDPOINTS, state)


def test_first_run_sends_exactly_these_requests(fake: FakeRetell) -> None:
    wired = run(fake)
    assert [(call.method, call.path, call.json) for call in fake.calls] == [
        ("GET", f"/get-agent/{AGENT_ID}", None),
        ("GET", f"/get-phone-number/{NUMBER_PATH}", None),
        ("GET", f"/get-retell-llm/{LLM_ID}", None),
        ("PATCH", f"/update-retell-llm/{LLM_ID}", {"general_tools": [EXISTING_TOOL, custom_tool(ENDPOINTS)]}),
        ("PATCH", f"/update-agent/{AGENT_ID}", {"webhook_url": f"{BASE}/post-call"}),
        ("POST", f"/publish-agent-version/{AGENT_ID}", {"version": 4}),
        ("PATCH", f"/update-phone-number/{NUMBER_PATH}", {"inbound_webhook_url": f"{BASE}/client-data"}),
    ]
    assert custom_tool(ENDPOINTS)["url"] == f"{BASE}/retrieve"
    assert fake.published == [4]
    assert "+15555550100" not in " ".join(wired.changes)
    assert all(call.headers["authorization"] == f"Bearer {API_KEY}" for call in fake.calls)


def test_second_run_sends_no_change(fake: FakeRetell) -> None:
    first = run(fake)
    fake.calls.clear()
    second = run(fake, first.state)
    assert fake.writes() == [] and second.changes == []
    assert second.state == first.state


def test_undo_restores_agent_llm_and_number(fake: FakeRetell) -> None:
    llm_before, number_before = copy.deepcopy(fake.llm), copy.deepcopy(fake.number)
    first = run(fake)
    run(fake, first.state)
    with api(Secret(API_KEY), fake.url) as client:
        unwire(client, first.state)
    assert fake.agent["webhook_url"] == sample_agent()["webhook_url"] and fake.agent["is_published"]
    assert fake.llm == llm_before and fake.number == number_before


def test_conversation_flow_agent_is_wired_without_a_function_and_says_so(fake: FakeRetell) -> None:
    fake.agent["response_engine"] = {"type": "conversation-flow", "conversation_flow_id": "cf_1"}
    wired = run(fake, number=None)
    assert [call.path for call in fake.writes()] == [f"/update-agent/{AGENT_ID}", f"/publish-agent-version/{AGENT_ID}"]
    assert "by hand" in wired.notes[0]


def test_platform_error_fails_with_its_message(fake: FakeRetell) -> None:
    with api(Secret("key_wrong_0000"), fake.url) as client, pytest.raises(PlatformError) as caught:
        wire(client, RetellTarget(AGENT_ID), ENDPOINTS)
    assert caught.value.status == 401 and "invalid API key" in str(caught.value)
    assert "key_wrong_0000" not in str(caught.value)


def test_answers_are_sdk_models_and_the_sdk_sends_our_bodies(fake: FakeRetell) -> None:
    from retell import Retell
    from retell.types import AgentResponse, LlmResponse, PhoneNumberResponse

    run(fake)
    AgentResponse.model_validate(fake.agent)
    LlmResponse.model_validate(fake.llm)
    PhoneNumberResponse.model_validate(fake.number)
    ours = {(call.method, call.path): call.json for call in fake.writes()}
    fake.calls.clear()
    sdk = Retell(api_key=API_KEY, base_url=fake.url, max_retries=0)
    sdk.llm.update(LLM_ID, general_tools=ours[("PATCH", f"/update-retell-llm/{LLM_ID}")]["general_tools"])
    sdk.agent.update(AGENT_ID, webhook_url=f"{BASE}/post-call")
    sdk.phone_number.update(PHONE_NUMBER, inbound_webhook_url=f"{BASE}/client-data")
    sent = {(call.method, call.path): call.json for call in fake.writes()}
    for key in (("PATCH", f"/update-retell-llm/{LLM_ID}"), ("PATCH", f"/update-agent/{AGENT_ID}")):
        assert sent[key] == ours[key]
    assert sent[("PATCH", f"/update-phone-number/{NUMBER_PATH}")] == {"inbound_webhook_url": f"{BASE}/client-data"}


def test_an_earlier_function_of_the_same_name_is_put_back_by_the_undo(fake: FakeRetell) -> None:
    """The LLM already had a ``memory_search`` of its own (another memory service): it is replaced, said so, and
    the undo restores it instead of leaving the LLM without it."""
    theirs = {
        "type": "custom",
        "name": "memory_search",
        "description": "Our previous memory vendor.",
        "url": "https://old-memory.example.com/search",
        "method": "POST",
        "speak_during_execution": False,
        "speak_after_execution": True,
    }
    fake.llm["general_tools"].append(copy.deepcopy(theirs))
    llm_before = copy.deepcopy(fake.llm)
    first = run(fake)
    assert any("memory_search" in note and "replaced" in note for note in first.notes)
    second = run(fake, first.state)
    assert second.state == first.state
    with api(Secret(API_KEY), fake.url) as client:
        unwire(client, second.state)
    assert fake.llm == llm_before


def test_an_unknown_number_fails_without_showing_it_whole(fake: FakeRetell) -> None:
    """The changes name the number masked; the error for a number Retell does not have did not."""
    with api(Secret(API_KEY), fake.url) as client, pytest.raises(PlatformError) as caught:
        wire(client, RetellTarget(AGENT_ID, "+15555550199"), ENDPOINTS)
    assert caught.value.status == 404
    assert "+15555550199" not in str(caught.value) and "+155***0199" in str(caught.value)
    assert fake.writes() == []


def test_a_re_run_with_another_number_or_none_is_refused_before_any_write(fake: FakeRetell) -> None:
    first = run(fake)
    fake.calls.clear()
    for number in (None, "+15555550177"):
        with pytest.raises(WiringError, match="run with --undo first") as caught:
            run(fake, first.state, number=number)
        assert PHONE_NUMBER not in str(caught.value)
    assert fake.calls == []


def test_a_function_switched_to_args_only_is_put_back(fake: FakeRetell) -> None:
    """ "Payload: args only" (args_at_root) sends no call object, so /retrieve knows no caller and answers 422: a
    memory_search switched to it in the dashboard was called up to date ("nothing sent")."""
    first = run(fake)
    tools = fake.llm["general_tools"]
    (ours,) = [tool for tool in tools if tool["name"] == "memory_search"]
    ours["args_at_root"] = True
    fake.calls.clear()
    second = run(fake, first.state)
    assert second.changes and fake.writes()
    (ours,) = [tool for tool in fake.llm["general_tools"] if tool["name"] == "memory_search"]
    assert ours["args_at_root"] is False
