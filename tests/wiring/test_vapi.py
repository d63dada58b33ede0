"""Vapi wiring against a fake Vapi on a real socket: the exact requests, no change on a second run, the number
and the assistant restored by the undo, the platform's message on an error, the SDK sending the same bodies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from functions.wiring import Endpoints, PlatformError, WiringError
from functions.wiring.vapi import DEFAULT_SERVER_MESSAGES, VapiTarget, api, tool_body, unwire, wire
from shared.secrets import Secret
from tests.fakes.vapi_api import (
    ASSISTANT_ID,
    EXISTING_TOOL_ID,
    PHONE_NUMBER_ID,
    FakeVapi,
    sample_assistant,
    sample_number,
)

API_KEY = "vapi-private-key-3e7b"
SECRET = "leakcheck-vapi-secret-44d0"
BASE = "https://memory.example.com"
ENDPOINTS = Endpoints(BASE)
TOOL_ID = "7e570001-0000-4000-8000-000000000000"


@pytest.fixture
def fake() -> Iterator[FakeVapi]:
    with FakeVapi(API_KEY) as server:
        yield server


def run(fake: FakeVapi, state: dict[str, Any] | None = None, assistant: str | None = ASSISTANT_ID):  # type: ignore[no-untyped-def]
    with api(Secret(API_KEY), fake.url) as client:
        return wire(client, VapiTarget(PHONE_NUMBER_ID, Secret(SECRET), assistant), ENDPOINTS, state)


def test_first_run_sends_exactly_these_requests(fake: FakeVapi) -> None:
    run(fake)
    assert [(call.method, call.path) for call in fake.calls] == [
        ("GET", f"/phone-number/{PHONE_NUMBER_ID}"),
        ("GET", f"/assistant/{ASSISTANT_ID}"),
        ("POST", "/tool"),
        ("PATCH", f"/phone-number/{PHONE_NUMBER_ID}"),
        ("PATCH", f"/assistant/{ASSISTANT_ID}"),
    ]
    tool, number, assistant = (call.json for call in fake.writes())
    assert tool == {
        "type": "function",
        "function": {
            "name": "memory_search",
            "description": tool["function"]["description"],
            "parameters": {
                "type": "object",
                "properties": {
                    "query": {
                        "type": "string",
                        "description": tool["function"]["parameters"]["properties"]["query"]["description"],
                    }
                },
                "required": ["query"],
            },
        },
        "server": {"url": f"{BASE}/retrieve", "headers": {"X-Vapi-Secret": SECRET}},
    }
    assert number == {
        "provider": "twilio",
        "server": {"url": f"{BASE}/client-data", "headers": {"X-Vapi-Secret": SECRET}},
        "assistantId": None,
    }
    assert assistant == {
        "server": {"url": f"{BASE}/post-call", "headers": {"X-Vapi-Secret": SECRET}},
        "serverMessages": ["status-update", "tool-calls", "end-of-call-report"],
        "model": {"provider": "openai", "model": "gpt-4o", "toolIds": [EXISTING_TOOL_ID, TOOL_ID]},
    }
    assert all(call.headers["authorization"] == f"Bearer {API_KEY}" for call in fake.calls)


def test_without_an_assistant_only_the_number_and_the_tool(fake: FakeVapi) -> None:
    fake.assistants[ASSISTANT_ID]["serverMessages"] = None
    wired = run(fake, assistant=None)
    assert [call.path for call in fake.writes()] == ["/tool", f"/phone-number/{PHONE_NUMBER_ID}"]
    assert wired.notes and "assistant-request" in wired.notes[0]


def test_default_server_messages_are_kept_when_adding_ours(fake: FakeVapi) -> None:
    del fake.assistants[ASSISTANT_ID]["serverMessages"]
    run(fake)
    assert fake.assistants[ASSISTANT_ID]["serverMessages"] == list(DEFAULT_SERVER_MESSAGES)


def test_second_run_sends_no_change(fake: FakeVapi) -> None:
    first = run(fake)
    fake.calls.clear()
    second = run(fake, first.state)
    assert fake.writes() == [] and second.changes == []
    assert second.state == first.state


def test_a_changed_tool_url_is_patched_alone(fake: FakeVapi) -> None:
    first = run(fake)
    fake.tools[TOOL_ID]["server"]["url"] = "https://elsewhere.example.com/retrieve"
    fake.calls.clear()
    run(fake, first.state)
    assert [(call.method, call.path, call.json) for call in fake.writes()] == [
        ("PATCH", f"/tool/{TOOL_ID}", {"type": "function", "server": tool_body(ENDPOINTS, Secret(SECRET))["server"]})
    ]


def test_undo_restores_number_and_assistant(fake: FakeVapi) -> None:
    first = run(fake)
    run(fake, first.state)
    with api(Secret(API_KEY), fake.url) as client:
        unwire(client, first.state)
    number, assistant = fake.numbers[PHONE_NUMBER_ID], fake.assistants[ASSISTANT_ID]
    assert {key: value for key, value in number.items() if key != "updatedAt"} == {
        key: value for key, value in sample_number().items() if key != "updatedAt"
    }
    assert {key: value for key, value in assistant.items() if key != "updatedAt"} == {
        key: value for key, value in sample_assistant().items() if key != "updatedAt"
    }
    assert fake.tools == {}


def test_platform_error_fails_with_its_message(fake: FakeVapi) -> None:
    with api(Secret(API_KEY), fake.url) as client, pytest.raises(PlatformError) as caught:
        wire(client, VapiTarget("no-such-number", Secret(SECRET)), ENDPOINTS)
    assert caught.value.status == 404 and "Phone number no-such-number not found" in str(caught.value)
    assert fake.writes() == []


@pytest.mark.slow  # importing vapi-server-sdk's models takes 15-25 s here; the exact requests are asserted above
def test_answers_are_sdk_models_and_the_sdk_sends_our_bodies(fake: FakeVapi) -> None:
    from vapi import Vapi
    from vapi.phone_numbers.types import UpdatePhoneNumbersRequestBody_Twilio
    from vapi.tools.types import CreateToolsRequest_Function
    from vapi.types import Assistant, FunctionTool, OpenAiFunction, Server, TwilioPhoneNumber

    run(fake)
    TwilioPhoneNumber.model_validate(fake.numbers[PHONE_NUMBER_ID])
    FunctionTool.model_validate(fake.tools[TOOL_ID])
    Assistant.model_validate(fake.assistants[ASSISTANT_ID])
    ours = {(call.method, call.path): call.json for call in fake.writes()}
    fake.calls.clear()
    sdk = Vapi(token=API_KEY, base_url=fake.url)
    tool = ours[("POST", "/tool")]
    sdk.tools.create(
        request=CreateToolsRequest_Function(
            function=OpenAiFunction(**tool["function"]), server=Server(**tool["server"])
        )
    )
    number = ours[("PATCH", f"/phone-number/{PHONE_NUMBER_ID}")]
    fake.numbers[PHONE_NUMBER_ID] = sample_number()
    sdk.phone_numbers.update(
        PHONE_NUMBER_ID, request=UpdatePhoneNumbersRequestBody_Twilio(server=Server(**number["server"]))
    )
    sent = {(call.method, call.path): call.json for call in fake.writes()}
    assert sent[("POST", "/tool")] == tool
    assert sent[("PATCH", f"/phone-number/{PHONE_NUMBER_ID}")] == {key: number[key] for key in ("provider", "server")}


def test_a_second_run_with_a_new_url_keeps_the_earlier_servers_and_no_secret(fake: FakeVapi) -> None:
    """The number and the assistant had servers of their own (another team's, with its header): after a run with a
    new URL, the state still holds them as they were, without our secret, and the undo puts them back exactly."""
    theirs = {"url": "https://crm.example.com/vapi", "headers": {"X-Crm-Token": "crm-token-1"}, "timeoutSeconds": 20}
    fake.numbers[PHONE_NUMBER_ID]["server"] = dict(theirs)
    fake.assistants[ASSISTANT_ID]["server"] = {"url": "https://crm.example.com/vapi-assistant"}
    original_number = dict(fake.numbers[PHONE_NUMBER_ID])
    original_assistant = dict(fake.assistants[ASSISTANT_ID])
    first = run(fake)
    with api(Secret(API_KEY), fake.url) as client:
        second = wire(
            client,
            VapiTarget(PHONE_NUMBER_ID, Secret(SECRET), ASSISTANT_ID),
            Endpoints("https://new.example.com"),
            first.state,
        )
    assert SECRET not in json.dumps(second.state)
    assert second.state["before"]["phone_number"]["server"] == theirs
    with api(Secret(API_KEY), fake.url) as client:
        unwire(client, second.state)
    for current, original in (
        (fake.numbers[PHONE_NUMBER_ID], original_number),
        (fake.assistants[ASSISTANT_ID], original_assistant),
    ):
        assert SECRET not in json.dumps(current)
        assert {k: v for k, v in current.items() if k != "updatedAt"} == {
            k: v for k, v in original.items() if k != "updatedAt"
        }


def test_another_services_headers_are_not_sent_to_ours_but_a_gateways_are_kept(fake: FakeVapi) -> None:
    """The number's server was a CRM's, with its token: our server does not carry the token (the undo puts the CRM's
    server back whole). A header an operator added to our own server (a gateway's) stays on a re-run."""
    fake.numbers[PHONE_NUMBER_ID]["server"] = {"url": "https://crm.example.com/vapi", "headers": {"X-Crm-Token": "t1"}}
    first = run(fake)
    assert fake.numbers[PHONE_NUMBER_ID]["server"]["headers"] == {"X-Vapi-Secret": SECRET}
    fake.numbers[PHONE_NUMBER_ID]["server"]["headers"]["CF-Access-Client-Id"] = "gateway-id"
    run(fake, first.state)
    assert fake.numbers[PHONE_NUMBER_ID]["server"]["headers"] == {
        "X-Vapi-Secret": SECRET,
        "CF-Access-Client-Id": "gateway-id",
    }


def test_a_re_run_with_another_assistant_or_none_is_refused_before_any_write(fake: FakeVapi) -> None:
    """Without the flag, the state forgot the assistant and the undo left it pointed at the service; with another
    one, the undo would have laid the first assistant's settings on the second."""
    first = run(fake)
    fake.calls.clear()
    for assistant in (None, "11111111-0000-4000-8000-000000000000"):
        with pytest.raises(WiringError, match="run with --undo first"):
            run(fake, first.state, assistant=assistant)
    assert fake.calls == []


def test_another_services_credential_is_not_carried_to_our_server_and_its_loss_is_said(fake: FakeVapi) -> None:
    """A CRM's server on the number and the assistant: its credentialId (Vapi sends that credential's token or
    signature) and the body paths it encrypts were kept on ours, so the CRM's credential reached the memory service
    and its encrypted fields could not be read; and the CRM losing its messages was not said."""
    crm = {
        "url": "https://crm.example.com/vapi-events",
        "credentialId": "cred-crm-0001",
        "encryptedPaths": ["customer.number"],
        "headers": {"Authorization": "Bearer crm-token-5150"},
        "timeoutSeconds": 15,
    }
    fake.numbers[PHONE_NUMBER_ID]["server"] = dict(crm)
    fake.assistants[ASSISTANT_ID]["server"] = dict(crm)
    wired = run(fake)
    for server in (fake.numbers[PHONE_NUMBER_ID]["server"], fake.assistants[ASSISTANT_ID]["server"]):
        assert "credentialId" not in server and "encryptedPaths" not in server
        assert server["headers"] == {"X-Vapi-Secret": SECRET} and server["timeoutSeconds"] == 15
    notes = [note for note in wired.notes if "crm.example.com" in note]
    assert len(notes) == 2 and all("--undo" in note for note in notes)
    assert not any("crm-token" in note or "/vapi-events" in note for note in wired.notes)
    with api(Secret(API_KEY), fake.url) as client:
        unwire(client, wired.state)
    assert fake.numbers[PHONE_NUMBER_ID]["server"] == crm and fake.assistants[ASSISTANT_ID]["server"] == crm


def test_without_an_assistant_the_unattached_tool_is_said(fake: FakeVapi) -> None:
    """Without --assistant-id the memory tool was created on no assistant's model: the calls never had it, silently."""
    wired = run(fake, assistant=None)
    assert any("on no assistant" in note and "--assistant-id" in note for note in wired.notes)
    assert not any("on no assistant" in note for note in run(fake).notes)
