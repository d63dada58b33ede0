"""The Vapi provider through the neutral app on the embedded store: routing by type, the three message types in
Vapi's own shapes, caller binding, idempotency, and what is stored (or not) from each message."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.fields import FieldMapper
from shared.providers.base import Operation
from shared.providers.vapi import VapiProvider
from tests.conftest import CALLER, OTHER_CALLER
from tests.providers.events import (
    FACT,
    NAME,
    SUMMARY,
    VAPI_BEARER,
    VAPI_HEADERS,
    vapi_assistant_request,
    vapi_end_of_call,
    vapi_tool_calls,
)

AGENT = "vapi_receptionist"
ROBIN_TURNS = ["Hi, this is Robin Castellano.", "I am allergic to latex, please note that for my filling."]
ROUTES = ("/client-data", "/retrieve", "/post-call")


def post(local: Any, path: str, payload: Any, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    response = local.call("POST", path, body, VAPI_HEADERS if headers is None else headers)
    return response.status, json.loads(response.body)


def remember(local: Any, **event: Any) -> None:
    status, answer = post(local, "/post-call", vapi_end_of_call(**event))
    assert (status, answer["status"]) == (200, "queued")
    local.drain()


def test_new_caller_gets_the_configured_assistant_and_string_variables(local_runtime: Any) -> None:
    status, answer = post(local_runtime(AGENT), "/client-data", vapi_assistant_request())
    assert status == 200
    assert answer["assistantId"] == "00000000-0000-4000-8000-000000000000"
    overrides = answer["assistantOverrides"]
    variables = overrides["variableValues"]
    assert all(isinstance(value, str) for value in variables.values())
    assert variables["returning_caller"] == "no"
    assert variables["caller_id"] == CALLER
    assert variables["caller_name"] == ""
    assert overrides["metadata"] == {"memory_user_id": CALLER}
    assert overrides["firstMessage"]


def test_end_of_call_report_then_assistant_request_remembers_name_and_summary(local_runtime: Any) -> None:
    local = local_runtime(AGENT)
    remember(local)
    status, answer = post(local, "/client-data", vapi_assistant_request("+1 (555) 555-0123"))
    assert status == 200
    variables = answer["assistantOverrides"]["variableValues"]
    assert variables["returning_caller"] == "yes"
    assert variables["caller_name"] == NAME
    assert variables["memory_summary"] == SUMMARY
    assert SUMMARY in variables["memory_context"]
    assert NAME.split()[0] in answer["assistantOverrides"]["firstMessage"]


def test_tool_calls_answer_in_vapi_shape_with_a_transcript_fact(local_runtime: Any) -> None:
    local = local_runtime(AGENT)
    remember(local)
    status, answer = post(local, "/retrieve", vapi_tool_calls("when is the dog's surgery"), VAPI_BEARER)
    assert status == 200
    [result] = answer["results"]
    assert (result["toolCallId"], result["name"]) == ("call_tool_0001", "recall_memory")
    assert isinstance(result["result"], str)
    found = json.loads(result["result"])
    assert any(FACT in memory["text"] for memory in found["memories"])


def test_every_documented_tool_call_shape_gets_its_own_result(local_runtime: Any, payload: Any) -> None:
    local = local_runtime(AGENT)
    remember(local)
    status, answer = post(local, "/retrieve", payload("vapi_tool_calls_variants"))
    assert status == 200
    ids = [result["toolCallId"] for result in answer["results"]]
    assert ids == ["call_fn_string_args_01", "call_events_parameters_02", "call_custom_tools_arguments_03"]
    dog = json.loads(answer["results"][1]["result"])
    assert any("Biscuit" in memory["text"] for memory in dog["memories"])


@pytest.mark.parametrize("source", ["toolCalls", "toolWithToolCallList"])
def test_legacy_and_wrapped_tool_call_lists(local_runtime: Any, source: str) -> None:
    local = local_runtime(AGENT)
    remember(local)
    event = vapi_tool_calls("Biscuit")
    message = event["message"]
    calls = message.pop("toolCallList")
    if source == "toolCalls":
        message["toolCalls"] = calls
        message.pop("toolWithToolCallList")
    status, answer = post(local, "/retrieve", event)
    assert status == 200
    assert [r["toolCallId"] for r in answer["results"]] == ["call_tool_0001"]
    assert json.loads(answer["results"][0]["result"])["count"] >= 1


def test_tool_caller_comes_from_the_call_never_the_arguments(local_runtime: Any, payload: Any) -> None:
    local = local_runtime(AGENT)
    remember(local, caller=OTHER_CALLER, call_id="vapi-other-caller")
    event = payload("vapi_tool_calls_variants")  # its third call claims caller_id OTHER_CALLER in its arguments
    status, answer = post(local, "/retrieve", event)
    assert status == 200
    assert all(json.loads(r["result"])["count"] == 0 for r in answer["results"])
    event["message"]["call"]["customer"]["number"] = OTHER_CALLER
    status, answer = post(local, "/retrieve", event)
    assert json.loads(answer["results"][1]["result"])["count"] >= 1


def test_caller_falls_back_to_message_customer(local_runtime: Any) -> None:
    local = local_runtime(AGENT)
    remember(local)
    event = vapi_assistant_request()
    del event["message"]["call"]["customer"]
    status, answer = post(local, "/client-data", event)
    assert status == 200 and answer["assistantOverrides"]["variableValues"]["caller_name"] == NAME


def test_tool_call_without_query_is_answered_not_failed(local_runtime: Any) -> None:
    event = vapi_tool_calls("x")
    event["message"]["toolCallList"][0]["function"]["arguments"] = "not json"
    status, answer = post(local_runtime(AGENT), "/retrieve", event)
    assert status == 200
    assert answer["results"][0]["toolCallId"] == "call_tool_0001"
    assert "No search query" in answer["results"][0]["result"]


@pytest.mark.parametrize("route", ROUTES)
def test_messages_are_routed_by_type_on_any_route(local_runtime: Any, route: str) -> None:
    local = local_runtime(AGENT)
    status, answer = post(local, route, vapi_end_of_call(call_id=f"vapi-route{route.replace('/', '-')}"))
    assert (status, answer["status"]) == (200, "queued")
    local.drain()
    status, answer = post(local, route, vapi_assistant_request())
    assert answer["assistantOverrides"]["variableValues"]["caller_name"] == NAME
    status, answer = post(local, route, vapi_tool_calls("Biscuit"))
    assert answer["results"][0]["toolCallId"] == "call_tool_0001"


@pytest.mark.parametrize(
    "message_type", ["status-update", "conversation-update", "speech-update", "hang", "transcript", "brand-new-type"]
)
def test_other_message_types_are_a_200_no_op(local_runtime: Any, message_type: str) -> None:
    local = local_runtime(AGENT)
    event = vapi_end_of_call()
    event["message"]["type"] = message_type
    for route in ROUTES:
        status, answer = post(local, route, event)
        assert (status, answer) == (200, {"status": "ignored"})
    assert list(local.runtime.archive.entries()) == []
    assert local.queue.counts() == {}


def test_redelivered_report_is_archived_once_under_type_and_call_id(local_runtime: Any) -> None:
    local = local_runtime(AGENT)
    event = vapi_end_of_call(call_id="vapi-dup-1")
    statuses = [post(local, "/post-call", event)[1]["status"] for _ in range(3)]
    local.drain()
    assert statuses == ["queued", "duplicate", "duplicate"]
    assert [e.key for e in local.runtime.archive.entries()] == ["end-of-call-report:vapi-dup-1"]
    texts = [m.text for m in local.runtime.service.manager.recent(CALLER)]
    assert len(texts) == len(set(texts))


def test_report_becomes_summary_fields_and_only_the_customers_turns(local_runtime: Any) -> None:
    local = local_runtime(AGENT)
    remember(local)
    memories = local.runtime.service.manager.recent(CALLER)
    by_source: dict[str, list[str]] = {}
    for memory in memories:
        by_source.setdefault(memory.metadata["source"], []).append(memory.text)
    assert by_source["summary"] == [SUMMARY]
    assert sorted(by_source["extraction"]) == sorted(
        ["caller name: Dana Whitfield", "intent: reschedule", "new appointment time: 2026-01-29T14:30:00-05:00"]
    )
    assert sorted(by_source["caller_turn"]) == sorted(["I need to push it to next week.", FACT])
    assert not any("Bot Agent" in memory.text or "how can I help" in memory.text for memory in memories)


def test_structured_outputs_and_assistant_roles(payload: Any) -> None:
    provider = VapiProvider()
    defaults = VapiProvider.defaults()
    event = provider.parse_post_call(
        payload("vapi_end_of_call_report_structured_outputs"),
        FieldMapper(defaults.field_mappings["post_call"]),
        defaults.webhooks.ingest_events,
    )
    assert event.idempotency_key == "end-of-call-report:3e5a7c9e-1b3d-4f5a-8c7e-9a1b3c5d7e9f"
    assert event.caller == "+15555550142"
    assert event.fields == {
        "caller_name": "Robin Castellano",
        "allergy": "latex",
        "booked": "true",
        "intent": "book_filling",
    }
    assert event.caller_turns == ROBIN_TURNS
    assert event.outcome == "failure"
    assert event.occurred_at is not None and event.occurred_at.isoformat().startswith("2026-01-19T17:02:12")


def test_legacy_transcript_string_gives_the_customers_lines(payload: Any) -> None:
    defaults = VapiProvider.defaults()
    event = payload("vapi_end_of_call_report_structured_outputs")
    del event["message"]["artifact"]["messages"]
    parsed = VapiProvider().parse_post_call(
        event, FieldMapper(defaults.field_mappings["post_call"]), defaults.webhooks.ingest_events
    )
    assert parsed.caller_turns == ROBIN_TURNS


def test_ingest_events_can_switch_the_report_off() -> None:
    defaults = VapiProvider.defaults()
    event = VapiProvider().parse_post_call(vapi_end_of_call(), FieldMapper(defaults.field_mappings["post_call"]), [])
    assert not event.ingest


def test_operation_table() -> None:
    provider = VapiProvider()
    for message_type, expected in [
        ("assistant-request", Operation.PRE_CALL),
        ("tool-calls", Operation.TOOL),
        ("end-of-call-report", Operation.POST_CALL),
        ("transfer-destination-request", Operation.IGNORE),
    ]:
        for route in (Operation.PRE_CALL, Operation.TOOL, Operation.POST_CALL):
            assert provider.operation(route, {"message": {"type": message_type}}) is expected


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"[]", 400),
        (b'"text"', 400),
        (b"{}", 400),
        (b'{"message": "assistant-request"}', 400),
        (b'{"message": {}}', 422),
        (b'{"message": {"type": null}}', 422),
        (b'{"message": {"type": "tool-calls", "call": {"customer": {"number": "+15555550123"}}}}', 422),
        (b'{"message": {"type": "tool-calls", "toolCallList": [{"function": {"name": "x"}}]}}', 422),
        (b'{"message": {"type": "end-of-call-report", "call": {}}}', 422),
        (b"{not json", 400),
    ],
)
def test_bad_messages_are_clear_errors_and_store_nothing(local_runtime: Any, body: bytes, status: int) -> None:
    local = local_runtime(AGENT)
    for route in ROUTES:
        got, answer = post(local, route, body)
        assert got == status and isinstance(answer["error"], str)
    assert list(local.runtime.archive.entries()) == []


def test_too_many_tool_calls_is_422(local_runtime: Any) -> None:
    event = vapi_tool_calls("x")
    call = event["message"]["toolCallList"][0]
    event["message"]["toolCallList"] = [{**call, "id": f"c{i}"} for i in range(40)]
    assert post(local_runtime(AGENT), "/retrieve", event)[0] == 422


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Vapi-Secret": "wrong"},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic dGVzdA=="},
        {"X-Vapi-Secret": ""},
        {"Authorization": "Bearer"},
    ],
)
def test_unauthenticated_messages_are_401_on_every_route_and_store_nothing(local_runtime: Any, headers: Any) -> None:
    local = local_runtime(AGENT)
    for route in ROUTES:
        status, answer = post(local, route, vapi_end_of_call(), headers)
        assert status == 401 and "error" in answer
    assert list(local.runtime.archive.entries()) == []
    assert local.queue.counts() == {}


def test_oversized_message_is_413(local_runtime: Any) -> None:
    event = vapi_end_of_call()
    event["message"]["artifact"]["transcript"] = "x" * (5 * 1024 * 1024)
    status, answer = post(local_runtime(AGENT), "/post-call", event)
    assert status == 413 and "error" in answer


@pytest.mark.parametrize("route", ROUTES)
def test_a_long_calls_report_over_1_mib_is_taken_on_any_route_a_pre_call_that_size_is_not(
    local_runtime: Any, route: str
) -> None:
    """A long call's report passes 1 MiB (every turn, twice: messages and transcript); a 413 forgets the caller."""
    local = local_runtime(AGENT)
    event = vapi_end_of_call(call_id=f"long-{route.strip('/')}")
    turns = [f"Turn {i}: about the appointment and my dog Biscuit, number {i}." for i in range(12000)]
    event["message"]["artifact"]["messages"] = [{"role": "user", "message": text} for text in turns]
    event["message"]["artifact"]["transcript"] = "\n".join(f"User: {text}" for text in turns)
    assert len(json.dumps(event)) > 1024 * 1024
    status, answer = post(local, route, event)
    assert (status, answer["status"]) == (200, "queued")
    local.drain()
    assert local.queue.counts() == {"done": 1}
    request = vapi_assistant_request()
    request["message"]["padding"] = "x" * (1024 * 1024)
    assert post(local, route, request)[0] == 413


def remember_days_ago(local: Any, now: float, days_ago: int, *, call_id: str, **structured: str) -> None:
    """An end-of-call report of a call that started ``days_ago`` days before ``now``, with these extracted fields."""
    event = vapi_end_of_call(call_id=call_id)
    message = event["message"]
    started = datetime.fromtimestamp(now - days_ago * 86_400, UTC).isoformat().replace("+00:00", "Z")
    message["startedAt"] = message["call"]["startedAt"] = started
    message["analysis"]["structuredData"].update(structured)
    status, answer = post(local, "/post-call", event)
    assert (status, answer["status"]) == (200, "queued")
    local.drain()


def test_camel_case_structured_data_reads_as_words_and_the_newest_value_is_current(local_runtime: Any) -> None:
    """Vapi schemas often name fields in camelCase: ``partySize`` is stored, shown and searched as "party size"."""
    local = local_runtime(AGENT)
    now = time.time()
    remember_days_ago(local, now, 20, call_id="vapi-call-old", partySize="8")
    remember_days_ago(local, now, 5, call_id="vapi-call-new", partySize="2")
    changed = datetime.fromtimestamp(now - 5 * 86_400, UTC).date().isoformat()
    _, answer = post(local, "/client-data", vapi_assistant_request())
    lines = answer["assistantOverrides"]["variableValues"]["memory_context"].splitlines()
    assert f"- party size: 2 (previously: 8 until {changed})" in lines
    assert not any("partySize" in line for line in lines)
    _, answer = post(local, "/retrieve", vapi_tool_calls("what is the party size"))
    texts = [m["text"] for m in json.loads(answer["results"][0]["result"])["memories"]]
    assert texts[0] == "party size: 2"
    assert all(text == "party size: 2" or text.startswith("previously:") for text in texts if "8" in text)


def test_nested_structured_data_becomes_fields_and_a_list_reads_as_words(local_runtime: Any) -> None:
    """A schema with an object (``customer.name``) and a list (``allergies``), as Vapi structured data allows."""
    local = local_runtime(AGENT)
    event = vapi_end_of_call(name=None)
    event["message"]["analysis"]["structuredData"] = {
        "customer": {"name": "Robin Castellano", "preferredContact": "text"},
        "allergies": ["latex", "penicillin"],
        "visit": {"reason": "filling", "tooth": {"number": 14}},
    }
    status, answer = post(local, "/post-call", event)
    assert (status, answer["status"]) == (200, "queued")
    local.drain()
    _, answer = post(local, "/client-data", vapi_assistant_request())
    overrides = answer["assistantOverrides"]
    assert overrides["variableValues"]["caller_name"] == "Robin Castellano"
    assert overrides["firstMessage"].startswith("Hello Robin")
    lines = overrides["variableValues"]["memory_context"].splitlines()
    assert "- customer preferred contact: text" in lines
    assert "- allergies: latex, penicillin" in lines
    assert any(line.startswith('- visit: {"reason":"filling"') for line in lines)  # deeper: compact JSON, as before
    _, answer = post(local, "/retrieve", vapi_tool_calls("is she allergic to anything"))
    texts = [m["text"] for m in json.loads(answer["results"][0]["result"])["memories"]]
    assert texts[0] == "allergies: latex, penicillin"


def test_an_extractions_not_mentioned_never_replaces_what_an_earlier_call_said(local_runtime: Any) -> None:
    """Extraction models write "N/A" or "Not mentioned" for a field the call did not touch; the value stands."""
    local = local_runtime(AGENT)
    now = time.time()
    remember_days_ago(local, now, 20, call_id="vapi-call-old", allergies="penicillin", insurer="N/A")
    remember_days_ago(local, now, 5, call_id="vapi-call-new", allergies="Not mentioned.", insurer="N/A")
    _, answer = post(local, "/client-data", vapi_assistant_request())
    lines = answer["assistantOverrides"]["variableValues"]["memory_context"].splitlines()
    assert "- allergies: penicillin" in lines
    assert not any("insurer" in line or "mentioned" in line for line in lines)
    _, answer = post(local, "/retrieve", vapi_tool_calls("allergies"))
    texts = [m["text"] for m in json.loads(answer["results"][0]["result"])["memories"]]
    assert texts[0] == "allergies: penicillin"


@pytest.mark.parametrize("reason", ["voicemail", "customer-did-not-answer", "customer-busy"])
def test_a_call_that_reached_voicemail_or_nobody_is_not_remembered(local_runtime: Any, reason: str) -> None:
    """A voicemail greeting ("Hi, you've reached Tom...") is not the caller's words: the person who then calls in
    is a new caller, not "welcome back"."""
    local = local_runtime(AGENT)
    event = vapi_end_of_call(name="Tom Baker", user_turns=("Hi, you've reached Tom Baker, leave a message.",))
    event["message"]["endedReason"] = reason
    status, answer = post(local, "/post-call", event)
    assert (status, answer["status"]) == (200, "ignored")
    local.drain()
    status, answer = post(local, "/client-data", vapi_assistant_request())
    variables = answer["assistantOverrides"]["variableValues"]
    assert (variables["returning_caller"], variables["caller_name"]) == ("no", "")
