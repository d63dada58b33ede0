"""The Retell provider through the neutral app on the embedded store: call_inbound, custom functions (nested and
args at root), lifecycle events and which of them are remembered, direction-aware caller binding, idempotency."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.errors import ConfigError
from shared.fields import FieldMapper
from shared.ingest.local import FileArchive, SqliteQueue
from shared.profile import load_profile
from shared.providers.base import Operation
from shared.providers.retell import MAX_RESULT_CHARS, RetellProvider, _fit
from shared.runtime import build_runtime
from shared.secrets import EnvSecrets
from shared.settings import Settings
from tests.conftest import CALLER, OTHER_CALLER, TEST_SECRETS
from tests.providers.events import (
    FACT,
    NAME,
    SUMMARY,
    retell_call_analyzed,
    retell_call_inbound,
    retell_function,
    retell_signed,
)

AGENT = "retell_appointments"
REPO = Path(__file__).resolve().parents[2]


def post(local: Any, path: str, payload: Any) -> tuple[int, Any]:
    body, headers = retell_signed(payload)
    response = local.call("POST", path, body, headers)
    return response.status, json.loads(response.body)


def remember(local: Any, **event: Any) -> None:
    status, answer = post(local, "/post-call", retell_call_analyzed(**event))
    assert (status, answer["status"]) == (200, "queued")
    local.drain()


def test_new_caller_gets_string_dynamic_variables_and_metadata(local_runtime: Any) -> None:
    status, answer = post(local_runtime(AGENT), "/client-data", retell_call_inbound())
    assert status == 200
    inbound = answer["call_inbound"]
    assert set(inbound) <= {"dynamic_variables", "metadata", "agent_override"}
    variables = inbound["dynamic_variables"]
    assert all(isinstance(value, str) for value in variables.values())
    assert variables["returning_caller"] == "no"
    assert variables["caller_name"] == ""
    assert inbound["metadata"] == {"memory_user_id": CALLER}
    assert variables["memory_user_id"] == CALLER


def test_call_analyzed_then_call_inbound_remembers_name_and_summary(local_runtime: Any) -> None:
    local = local_runtime(AGENT)
    remember(local)
    status, answer = post(local, "/client-data", retell_call_inbound("(555) 555-0123"))
    assert status == 200
    inbound = answer["call_inbound"]
    variables = inbound["dynamic_variables"]
    assert variables["returning_caller"] == "yes"
    assert variables["caller_name"] == NAME
    assert variables["memory_summary"] == SUMMARY
    assert SUMMARY in variables["memory_context"]
    assert NAME.split()[0] in variables["first_message"]
    assert inbound["agent_override"]["retell_llm"]["begin_message"] == variables["first_message"]


def test_custom_function_returns_a_transcript_fact(local_runtime: Any) -> None:
    local = local_runtime(AGENT)
    remember(local)
    status, answer = post(local, "/retrieve", retell_function("when is the dog's surgery"))
    assert status == 200
    assert any(FACT in memory["text"] for memory in answer["memories"])
    assert FACT in answer["result"]


def test_outbound_calls_belong_to_the_number_called(local_runtime: Any) -> None:
    local = local_runtime(AGENT)
    remember(local, caller=OTHER_CALLER, direction="outbound", call_id="call_outbound_1")
    assert local.runtime.service.manager.recent("+15555550100") == []
    assert local.runtime.service.manager.recent(OTHER_CALLER)
    _, answer = post(local, "/retrieve", retell_function("Biscuit", caller=OTHER_CALLER, direction="outbound"))
    assert answer["count"] >= 1
    _, answer = post(local, "/retrieve", retell_function("Biscuit", caller=CALLER))
    assert answer["count"] == 0


@pytest.mark.parametrize("event", ["call_started", "call_ended", "transcript_updated", "chat_analyzed", "new_event"])
def test_other_lifecycle_events_are_acknowledged_and_stored_nowhere(local_runtime: Any, event: str) -> None:
    local = local_runtime(AGENT)
    status, answer = post(local, "/post-call", retell_call_analyzed(event=event))
    assert status == 200 and answer["status"] == "ignored"
    assert list(local.runtime.archive.entries()) == []
    assert local.queue.counts() == {}


def test_unknown_event_on_the_inbound_route_is_a_200_no_op(local_runtime: Any) -> None:
    local = local_runtime(AGENT)
    status, answer = post(local, "/client-data", {"event": "chat_inbound", "chat_inbound": {"from_number": CALLER}})
    assert (status, answer) == (200, {"status": "ignored"})


def test_one_url_for_inbound_and_lifecycle_events(local_runtime: Any) -> None:
    local = local_runtime(AGENT)
    status, answer = post(local, "/client-data", retell_call_analyzed(call_id="call_same_url"))
    assert (status, answer["status"]) == (200, "queued")
    local.drain()
    status, answer = post(local, "/post-call", retell_call_inbound())
    assert answer["call_inbound"]["dynamic_variables"]["caller_name"] == NAME


def test_tool_route_never_reroutes_on_an_event_argument(local_runtime: Any) -> None:
    """With args at root, an argument named ``event`` is the LLM's: it must not turn a tool call into a pre-call."""
    local = local_runtime(AGENT)
    status, answer = post(local, "/retrieve", {"event": "call_inbound", "call_inbound": {"from_number": CALLER}})
    assert status == 422 and "call_inbound" not in answer


def test_ingested_event_is_configurable(tmp_path: Path) -> None:
    config = json.loads((REPO / "config" / "agent_types.json").read_text())
    config["agent_types"][AGENT]["webhooks"] = {"ingest_events": ["call_ended"]}
    path = tmp_path / "agent_types.json"
    path.write_text(json.dumps(config))
    settings = Settings.from_environ({}, agent_type=AGENT, data_dir=tmp_path, config_path=path)
    queue = SqliteQueue(tmp_path / "queue.db")
    runtime = build_runtime(
        settings, secrets=EnvSecrets(TEST_SECRETS), archive=FileArchive(tmp_path / "archive"), queue=queue
    )
    try:
        from shared.http import Request

        def send(payload: dict[str, Any]) -> Any:
            body, headers = retell_signed(payload)
            return json.loads(runtime.app.handle(Request.build("POST", "/post-call", headers, body)).body)

        assert send(retell_call_analyzed())["status"] == "ignored"
        assert send(retell_call_analyzed(event="call_ended"))["status"] == "queued"
        assert [e.key for e in runtime.archive.entries()] == ["call_ended:call_retell_0001"]
    finally:
        runtime.store.close()
        queue.close()


def test_ingesting_both_events_of_one_call_is_refused_at_start_up(tmp_path: Path) -> None:
    """call_ended and call_analyzed carry the same transcript under two keys: each turn would be kept twice."""
    config = json.loads((REPO / "config" / "agent_types.json").read_text())
    config["agent_types"][AGENT]["webhooks"] = {"ingest_events": ["call_ended", "call_analyzed"]}
    path = tmp_path / "agent_types.json"
    path.write_text(json.dumps(config))
    with pytest.raises(ConfigError, match="call_ended and call_analyzed"):
        load_profile(AGENT, path)


def test_redelivered_event_is_archived_once_under_event_and_call_id(local_runtime: Any) -> None:
    local = local_runtime(AGENT)
    event = retell_call_analyzed(call_id="call_dup_1")
    statuses = []
    for _ in range(3):  # Retell retries up to three times; each delivery is signed afresh
        statuses.append(post(local, "/post-call", event)[1]["status"])
    local.drain()
    assert statuses == ["queued", "duplicate", "duplicate"]
    assert [e.key for e in local.runtime.archive.entries()] == ["call_analyzed:call_dup_1"]


def test_call_becomes_summary_fields_and_only_the_users_turns(local_runtime: Any) -> None:
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
    assert not any("Bot Agent" in memory.text for memory in memories)
    appointment = [m for m in memories if m.metadata.get("field") == "new_appointment_time"]
    assert appointment[0].type == "appointment"  # field_types from the example agent type


def test_collected_variables_only_when_new_and_never_our_own() -> None:
    event = retell_call_analyzed()
    call = event["call"]
    call["collected_dynamic_variables"] = {
        "memory_context": "Returning caller ...",  # ours, echoed
        "caller_name": "Dana Whitfield",  # sent unchanged
        "current_node": "booking",  # flow internals
        "preferred_dentist": "Dr. Okafor",  # new during the call
    }
    call["retell_llm_dynamic_variables"]["caller_name"] = "Dana Whitfield"
    del call["call_analysis"]["custom_analysis_data"]
    defaults = RetellProvider.defaults()
    mapper = FieldMapper(defaults.field_mappings["post_call"])
    parsed = RetellProvider().parse_post_call(event, mapper, ["call_analyzed"])
    assert parsed.fields == {"preferred_dentist": "Dr. Okafor"}
    assert parsed.outcome == "success"
    assert parsed.idempotency_key == "call_analyzed:call_retell_0001"


def test_transcript_string_is_the_fallback_for_turns() -> None:
    event = retell_call_analyzed()
    del event["call"]["transcript_object"]
    defaults = RetellProvider.defaults()
    mapper = FieldMapper(defaults.field_mappings["post_call"])
    parsed = RetellProvider().parse_post_call(event, mapper, ["call_analyzed"])
    assert parsed.caller_turns == ["I need to push it to next week.", FACT]


def test_args_at_root_is_refused_by_default(local_runtime: Any, payload: Any) -> None:
    local = local_runtime(AGENT)
    remember(local, caller=OTHER_CALLER, call_id="call_other")
    status, answer = post(local, "/retrieve", payload("retell_custom_function_args_at_root"))
    assert status == 422 and "args only" in answer["error"]


def test_a_custom_function_without_its_call_says_so(local_runtime: Any) -> None:
    local = local_runtime(AGENT)
    status, answer = post(local, "/retrieve", {"name": "recall_memory", "args": {"query": "appointment"}})
    assert status == 422 and answer["error"].startswith("missing field: call")


def test_args_at_root_with_a_mapped_caller_field(payload: Any) -> None:
    provider = RetellProvider()
    defaults = RetellProvider.defaults()
    mapper = FieldMapper({**defaults.field_mappings["retrieve"], "caller_id": ["caller_id"]})
    request = provider.parse_tool(payload("retell_custom_function_args_at_root"), mapper)
    assert request.caller == "+15555550199"
    assert request.calls[0].query == "appointment preferences"
    nested = provider.parse_tool(retell_function("x"), FieldMapper(defaults.field_mappings["retrieve"]))
    assert nested.caller == CALLER and nested.conversation_id == "call_4f7a2c9e1b8d4a6c9e2f7b1d3a5c"


def test_nested_args_as_a_json_string() -> None:
    event = retell_function("x")
    event["args"] = json.dumps({"query": "dog"})
    request = RetellProvider().parse_tool(event, FieldMapper(RetellProvider.defaults().field_mappings["retrieve"]))
    assert request.calls[0].query == "dog" and request.calls[0].name == "recall_memory"


def test_function_result_stays_under_retells_cap() -> None:
    long = {"text": "x" * 4000, "type": "semantic", "score": 0.5, "created_at": "2026-01-01T00:00:00Z"}
    answer = {"memories": [long] * 5, "count": 5, "result": "\n".join(["- " + "x" * 4000] * 5)}
    fitted = _fit(answer)
    assert len(json.dumps(fitted, separators=(",", ":"))) <= MAX_RESULT_CHARS
    assert 0 < fitted["count"] == len(fitted["memories"]) < 5
    small = {"memories": [long], "count": 1, "result": "- x"}
    assert _fit(small) is small


def test_operation_routing() -> None:
    provider = RetellProvider()
    inbound = {"event": "call_inbound", "call_inbound": {}}
    lifecycle = {"event": "call_ended", "call": {}}
    assert provider.operation(Operation.PRE_CALL, inbound) is Operation.PRE_CALL
    assert provider.operation(Operation.POST_CALL, inbound) is Operation.PRE_CALL
    assert provider.operation(Operation.PRE_CALL, lifecycle) is Operation.POST_CALL
    assert provider.operation(Operation.POST_CALL, {"event": "x"}) is Operation.POST_CALL
    assert provider.operation(Operation.PRE_CALL, {"event": "x"}) is Operation.IGNORE
    assert provider.operation(Operation.TOOL, inbound) is Operation.TOOL
    assert provider.operation(Operation.TOOL, lifecycle) is Operation.TOOL


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/client-data", b"[]", 400),
        ("/client-data", b"{}", 422),
        ("/client-data", b'{"event": "call_inbound"}', 422),
        ("/retrieve", b"{}", 422),
        ("/retrieve", b'{"name": "f", "args": {}, "call": {"from_number": "+15555550123"}}', 422),
        ("/post-call", b"{}", 422),
        ("/post-call", b'{"event": "call_analyzed"}', 422),
        ("/post-call", b'{"event": "call_analyzed", "call": {"call_id": null}}', 422),
        ("/post-call", b"{not json", 400),
        ("/post-call", b"", 400),
    ],
)
def test_bad_input_is_a_clear_error_and_stores_nothing(local_runtime: Any, path: str, body: bytes, status: int) -> None:
    local = local_runtime(AGENT)
    got, answer = post(local, path, body)
    assert got == status and isinstance(answer["error"], str)
    assert list(local.runtime.archive.entries()) == []


@pytest.mark.parametrize("path", ["/client-data", "/retrieve", "/post-call"])
def test_every_route_needs_the_signature(local_runtime: Any, path: str) -> None:
    local = local_runtime(AGENT)
    body = json.dumps(retell_call_analyzed()).encode()
    for headers in ({}, {"X-Retell-Signature": "v=1,d=00"}, {"X-Vapi-Secret": TEST_SECRETS["VAPI_SECRET"]}):
        response = local.call("POST", path, body, headers)
        assert response.status == 401 and "error" in json.loads(response.body)
    assert list(local.runtime.archive.entries()) == []


@pytest.mark.parametrize(
    ("analysis", "reason"),
    [({"in_voicemail": True}, "user_hangup"), ({}, "voicemail_reached"), ({}, "dial_no_answer")],
)
def test_a_call_that_reached_voicemail_or_nobody_is_not_remembered(
    local_runtime: Any, analysis: dict[str, Any], reason: str
) -> None:
    local = local_runtime(AGENT)
    event = retell_call_analyzed(name="Tom Baker", user_turns=("Hi, you've reached Tom Baker, leave a message.",))
    event["call"]["call_analysis"].update(analysis)
    event["call"]["disconnection_reason"] = reason
    status, answer = post(local, "/post-call", event)
    assert (status, answer["status"]) == (200, "ignored")
    local.drain()
    status, answer = post(local, "/client-data", retell_call_inbound())
    variables = answer["call_inbound"]["dynamic_variables"]
    assert (variables["returning_caller"], variables["caller_name"]) == ("no", "")


@pytest.mark.parametrize("empty", ["", None])
def test_a_function_call_with_an_empty_question_gets_guidance_not_an_error(local_runtime: Any, empty: Any) -> None:
    """An error makes Retell retry the function twice; the model needs to be told to ask instead."""
    from shared.providers.base import NO_QUERY

    body = {"name": "recall_memory", "args": {"query": empty}, "call": {"call_id": "c1", "from_number": "+15555550123"}}
    status, answer = post(local_runtime(AGENT), "/retrieve", body)
    assert status == 200 and NO_QUERY in json.dumps(answer)


def test_a_custom_function_with_a_field_beside_name_args_and_call_still_reads_its_call(local_runtime: Any) -> None:
    """Retell may add a field to its envelope; the call object is still Retell's, not a 422 saying it is missing."""
    local = local_runtime(AGENT)
    remember(local)
    function = {**retell_function("when is the dog's surgery"), "request_sent_at": 1765000000000}
    status, answer = post(local, "/retrieve", function)
    assert status == 200
    assert any(FACT in memory["text"] for memory in answer["memories"])
