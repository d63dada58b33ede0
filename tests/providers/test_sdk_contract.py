"""Issue 11's Must show 3: the three platforms' contracts as their official SDKs type them.

Requests are built from the SDKs' own request models where the SDK types them (``vapi-server-sdk`` server messages,
``retell-sdk`` ``PhoneCallResponse``/``WebCallResponse``, ``elevenlabs`` ``GetConversationResponseModel``), sent as
the wire JSON the SDK serializes, and every answer is parsed with the SDK's answer model (Vapi
``ServerMessageResponse*``, ElevenLabs ``ConversationInitiationClientDataRequestInput``, Retell's documented
``call_inbound`` answer with the SDK's own types for its parts). Where an SDK type disagrees with the platform's
documentation, the test follows the documentation and says so where it does.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
import vapi.types as vapi
from elevenlabs.types import (
    ConversationHistoryAnalysisCommonModel,
    ConversationHistoryMetadataCommonModel,
    ConversationHistoryMetadataCommonModelPhoneCall_Twilio,
    ConversationHistoryTranscriptResponseModel,
    ConversationInitiationClientDataRequestInput,
    DataCollectionResultCommonModel,
    GetConversationResponseModel,
)
from pydantic import BaseModel, ConfigDict, TypeAdapter
from retell.types import PhoneCallResponse, WebCallResponse
from retell.types.call_create_phone_call_params import AgentOverride
from retell.types.phone_call_response import ScrubbedTranscriptWithToolCallUtterance

from shared.providers.base import NO_MATCHING_MEMORIES, NO_MEMORIES_UNKNOWN_CALLER
from tests.conftest import CALLER, TEST_SECRETS, load_payload, sign_elevenlabs
from tests.providers.events import VAPI_HEADERS, retell_signed

NOW = datetime.now(UTC).replace(microsecond=0)
ROBIN = "Robin Castellano"
WORKSPACE = {"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}
ASSISTANT_ID = "00000000-0000-4000-8000-000000000000"


def parse(model: Any, answer: Any) -> Any:
    """The answer as the SDK's model; nothing in it that the model does not define (its models allow extras)."""
    parsed = TypeAdapter(model).validate_python(answer)
    assert not parsed.model_extra, f"fields {model.__name__} does not define: {sorted(parsed.model_extra)}"
    return parsed


def send(local: Any, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any, str]:
    response = local.call("POST", path, body, headers)
    content_type = response.headers.get("content-type", "")
    payload = json.loads(response.body) if content_type == "application/json" else response.body
    return response.status, payload, content_type


# Vapi (vapi-server-sdk) ------------------------------------------------------------------------------------------


def vapi_call(customer: vapi.CreateCustomerDto | None, call_type: str = "inboundPhoneCall", **extra: Any) -> vapi.Call:
    return vapi.Call(
        id=extra.pop("id", "vapi-sdk-call-0001"),
        org_id="org-0001",
        created_at=NOW,
        updated_at=NOW,
        type=call_type,
        assistant_id=ASSISTANT_ID,
        customer=customer,
        **extra,
    )


def vapi_wire(message: Any) -> bytes:
    """The envelope ``{"message": ...}`` as ``ServerMessage`` serializes it (built by hand: validating the SDK's
    29-member union would cost the suite most of a minute on every run)."""
    return ('{"message":' + message.json() + "}").encode()


CUSTOMERS: dict[str, tuple[vapi.CreateCustomerDto | None, str]] = {
    "number": (vapi.CreateCustomerDto(number=CALLER), "inboundPhoneCall"),
    "withheld": (vapi.CreateCustomerDto(number="anonymous"), "inboundPhoneCall"),
    "sip_number": (vapi.CreateCustomerDto(sip_uri="sip:+15555550142@sip.example.com"), "inboundPhoneCall"),
    "sip_user": (
        vapi.CreateCustomerDto(sip_uri="sip:frontdesk@pbx.example.com", name="Front Desk"),
        "inboundPhoneCall",
    ),
    "sip_anonymous": (vapi.CreateCustomerDto(sip_uri="sip:anonymous@anonymous.invalid"), "inboundPhoneCall"),
    "web": (None, "webCall"),
}
KNOWN = {"number": CALLER, "sip_number": "+15555550142", "sip_user": "sip:frontdesk@pbx.example.com"}


@pytest.mark.parametrize("case", list(CUSTOMERS))
def test_vapi_assistant_request_answer_is_the_sdks_response_model(local_runtime: Any, case: str) -> None:
    customer, call_type = CUSTOMERS[case]
    message = vapi.ServerMessageAssistantRequest(
        type="assistant-request", call=vapi_call(customer, call_type), customer=customer, timestamp=time.time() * 1000
    )
    status, answer, _ = send(local_runtime("vapi_receptionist"), "/client-data", vapi_wire(message), VAPI_HEADERS)
    assert status == 200
    parsed = parse(vapi.ServerMessageResponseAssistantRequest, answer)
    assert parsed.error is None and parsed.destination is None and parsed.assistant_id == ASSISTANT_ID
    overrides = parsed.assistant_overrides
    variables = overrides.variable_values
    assert all(isinstance(value, str) for value in variables.values())
    assert variables["caller_known"] == ("yes" if case in KNOWN else "no")
    assert variables["caller_id"] == KNOWN.get(case, "")
    assert overrides.metadata == ({"memory_user_id": KNOWN[case]} if case in KNOWN else None)
    assert overrides.first_message


@pytest.mark.parametrize("case", ["number", "web", "withheld"])
@pytest.mark.parametrize("arguments", ["string", "object"])
def test_vapi_tool_calls_answer_one_sdk_result_per_call_id(local_runtime: Any, case: str, arguments: str) -> None:
    customer, call_type = CUSTOMERS[case]
    calls = [
        vapi.ToolCall(
            id=f"call_sdk_{i}",
            type="function",
            function=vapi.ToolCallFunction(name="recall_memory", arguments=json.dumps({"query": query})),
        )
        for i, query in enumerate(["the dog", "appointment preferences"])
    ]
    message = vapi.ServerMessageToolCalls(
        type="tool-calls",
        call=vapi_call(customer, call_type),
        customer=customer,
        tool_call_list=calls,
        tool_with_tool_call_list=[
            vapi.ServerMessageToolCallsToolWithToolCallListItem_Function(tool_call=c) for c in calls
        ],
    )
    body = json.loads(vapi_wire(message))
    if arguments == "object":
        # the SDK (and OpenAPI) type ``function.arguments`` as a string; Vapi's docs and captured payloads show an
        # object: the documentation wins, both are accepted
        for item in body["message"]["toolCallList"]:
            item["function"]["arguments"] = json.loads(item["function"]["arguments"])
    status, answer, _ = send(local_runtime("vapi_receptionist"), "/retrieve", json.dumps(body).encode(), VAPI_HEADERS)
    assert status == 200
    parsed = parse(vapi.ServerMessageResponseToolCalls, answer)
    assert parsed.error is None
    assert [(r.tool_call_id, r.name) for r in parsed.results] == [
        ("call_sdk_0", "recall_memory"),
        ("call_sdk_1", "recall_memory"),
    ]
    for result in parsed.results:
        assert isinstance(result.result, str)
        if case == "number":
            assert json.loads(result.result)["count"] == 0  # a known caller with nothing stored yet
        else:
            assert result.result == NO_MEMORIES_UNKNOWN_CALLER


def vapi_report(customer: vapi.CreateCustomerDto | None, call_type: str, call_id: str) -> Any:
    turns = [
        vapi.BotMessage(role="bot", message="Hi, how can I help?", time=1.0, end_time=2.0, seconds_from_start=0.5),
        vapi.UserMessage(
            role="user", message="Our parrot Kiwi needs a quiet room.", time=3.0, end_time=4.0, seconds_from_start=2.5
        ),
    ]
    return vapi.ServerMessageEndOfCallReport(
        type="end-of-call-report",
        ended_reason="customer-ended-call",
        call=vapi_call(customer, call_type, id=call_id),
        customer=customer,
        artifact=vapi.Artifact(messages=turns),
        analysis=vapi.Analysis(
            summary="Caller asked for a quiet room for their parrot.",
            structured_data_multi=[{"key": "contact", "structuredData": {"caller_name": ROBIN}}],
            success_evaluation="true",
        ),
        started_at=NOW,
    )


def test_vapi_end_of_call_report_from_the_sdk_remembers_the_name_from_structured_data_multi(local_runtime: Any) -> None:
    local = local_runtime("vapi_receptionist")
    customer, call_type = CUSTOMERS["number"]
    status, ack, _ = send(local, "/post-call", vapi_wire(vapi_report(customer, call_type, "sdk-1")), VAPI_HEADERS)
    assert (status, ack) == (200, {"status": "queued"})
    local.drain()
    request = vapi.ServerMessageAssistantRequest(type="assistant-request", call=vapi_call(customer), customer=customer)
    _, answer, _ = send(local, "/client-data", vapi_wire(request), VAPI_HEADERS)
    variables = parse(vapi.ServerMessageResponseAssistantRequest, answer).assistant_overrides.variable_values
    assert variables["caller_name"] == ROBIN and variables["returning_caller"] == "yes"


@pytest.mark.parametrize("case", ["web", "withheld", "sip_anonymous"])
def test_vapi_end_of_call_report_of_an_unknown_caller_is_archived_not_remembered(local_runtime: Any, case: str) -> None:
    local = local_runtime("vapi_receptionist")
    customer, call_type = CUSTOMERS[case]
    status, ack, _ = send(local, "/post-call", vapi_wire(vapi_report(customer, call_type, f"sdk-{case}")), VAPI_HEADERS)
    assert (status, ack["status"]) == (200, "archived")
    local.drain()
    assert local.runtime.store.count() == 0


OPENAI = [vapi.OpenAiMessage(role="user", content="Hello")]
CONTACT = vapi.CampaignContact(id="contact-1", campaign_id="camp-1", org_id="org-0001", number=CALLER, created_at=NOW)
NEUTRAL: list[tuple[Any, Any]] = [
    (
        vapi.ServerMessageTransferDestinationRequest(type="transfer-destination-request"),
        vapi.ServerMessageResponseTransferDestinationRequest,
    ),
    # the SDK types ``destination`` as required; Vapi's handoff docs: "either respond with an empty destination, or
    # provide a custom error": the answer carries both, so it satisfies the type and the documentation
    (
        vapi.ServerMessageHandoffDestinationRequest(type="handoff-destination-request", parameters={}),
        vapi.ServerMessageResponseHandoffDestinationRequest,
    ),
    (
        vapi.ServerMessageKnowledgeBaseRequest(type="knowledge-base-request", messages_open_ai_formatted=OPENAI),
        vapi.ServerMessageResponseKnowledgeBaseRequest,
    ),
    (
        vapi.ServerMessageCampaignPredial(type="campaign.predial", campaign_id="camp-1", contact=CONTACT),
        vapi.ServerMessageResponseCampaignPredial,
    ),
    (
        vapi.ServerMessageCallEndpointingRequest(type="call.endpointing.request", messages_open_ai_formatted=OPENAI),
        vapi.ServerMessageResponseCallEndpointingRequest,
    ),
]


@pytest.mark.parametrize(("message", "model"), NEUTRAL, ids=lambda value: getattr(value, "type", ""))
@pytest.mark.parametrize("route", ["/client-data", "/retrieve", "/post-call"])
def test_vapi_messages_this_service_does_not_serve_get_a_neutral_sdk_answer(
    local_runtime: Any, message: Any, model: Any, route: str
) -> None:
    local = local_runtime("vapi_receptionist")
    message = message.model_copy(update={"call": vapi_call(CUSTOMERS["number"][0])})
    status, answer, _ = send(local, route, vapi_wire(message), VAPI_HEADERS)
    assert status == 200
    parsed = parse(model, answer)
    kind = message.type
    if kind in ("transfer-destination-request", "handoff-destination-request"):
        assert parsed.error and not parsed.destination  # no transfer, no handoff: the conversation goes on
    elif kind == "knowledge-base-request":
        assert parsed.documents == [] and parsed.message is None  # the model answers without extra documents
    elif kind == "campaign.predial":
        assert parsed.eligible is True  # dialled as without a pre-dial hook (anything else skips the contact)
    else:
        assert 0 < parsed.timeout_seconds <= 1.5
    assert list(local.runtime.archive.entries()) == []


def test_vapi_voice_request_gets_silence_not_json(local_runtime: Any) -> None:
    """The SDK's ``ServerMessageResponseVoiceRequest`` ``{data}`` says itself "DO NOT respond with this schema": the
    answer is raw PCM audio, so the documented answer (an audio body, here empty) is followed, never JSON."""
    message = vapi.ServerMessageVoiceRequest(type="voice-request", text="Hello", sample_rate=24000)
    status, body, content_type = send(
        local_runtime("vapi_receptionist"), "/client-data", vapi_wire(message), VAPI_HEADERS
    )
    assert (status, body, content_type) == (200, b"", "application/octet-stream")


# ElevenLabs (elevenlabs) -----------------------------------------------------------------------------------------

INITIATIONS = {
    "number": {"caller_id": CALLER, "agent_id": "agent_1", "called_number": "+15555550100", "call_sid": "CA1"},
    "withheld": {"caller_id": "anonymous", "agent_id": "agent_1", "called_number": "+15555550100", "call_sid": "CA2"},
    "sip": {"caller_id": "sip:+15555550142@sip.example.com", "agent_id": "agent_1", "call_id": "sip-1"},
    "none": {"agent_id": "agent_1", "called_number": "+15555550100"},
}


@pytest.mark.parametrize("case", list(INITIATIONS))
def test_elevenlabs_initiation_answer_is_the_sdks_client_data_model(local_runtime: Any, case: str) -> None:
    # the initiation webhook's request body has no SDK type: it is built as the documentation shows it
    body = json.dumps(INITIATIONS[case]).encode()
    status, answer, _ = send(local_runtime(), "/client-data", body, WORKSPACE)
    assert status == 200
    # the documented answer carries ``"type": "conversation_initiation_client_data"``, a field the SDK's request
    # model does not define: the documentation wins; everything else must be the model's
    assert answer.pop("type") == "conversation_initiation_client_data"
    parsed = parse(ConversationInitiationClientDataRequestInput, answer)
    variables = parsed.dynamic_variables
    assert all(isinstance(value, str | int | float | bool) or value is None for value in variables.values())
    assert variables["caller_known"] == ("no" if case in ("withheld", "none") else "yes")
    override = parsed.conversation_config_override
    assert override is None or override.agent is None or override.agent.first_message


def elevenlabs_conversation(phone: str | None, conversation_id: str) -> bytes:
    started = int(time.time()) - 600
    phone_call = (
        ConversationHistoryMetadataCommonModelPhoneCall_Twilio(
            direction="inbound",
            phone_number_id="pn_1",
            agent_number="+15555550100",
            external_number=phone,
            stream_sid="MZ1",
            call_sid="CA1",
        )
        if phone is not None
        else None
    )
    data = GetConversationResponseModel(
        agent_id="agent_1",
        conversation_id=conversation_id,
        status="done",
        has_audio=False,
        has_user_audio=False,
        has_response_audio=False,
        has_auxiliary_audio=False,
        metadata=ConversationHistoryMetadataCommonModel(
            start_time_unix_secs=started, call_duration_secs=60, phone_call=phone_call
        ),
        transcript=[
            ConversationHistoryTranscriptResponseModel(
                role="agent", message="Hi, how can I help?", time_in_call_secs=0
            ),
            ConversationHistoryTranscriptResponseModel(
                role="user", message="Our parrot Kiwi needs a quiet room.", time_in_call_secs=4
            ),
        ],
        analysis=ConversationHistoryAnalysisCommonModel(
            call_successful="success",
            transcript_summary="Caller asked for a quiet room for their parrot.",
            data_collection_results_list=[
                DataCollectionResultCommonModel(data_collection_id="caller_name", value=ROBIN, rationale="Said so.")
            ],
        ),
    )
    event = {"type": "post_call_transcription", "event_timestamp": started + 100, "data": json.loads(data.json())}
    return json.dumps(event).encode()


def test_elevenlabs_conversation_from_the_sdk_remembers_the_name_from_the_list(local_runtime: Any) -> None:
    local = local_runtime()
    body = elevenlabs_conversation(CALLER, "conv_sdk_1")
    status, ack, _ = send(local, "/post-call", body, {"ElevenLabs-Signature": sign_elevenlabs(body)})
    assert (status, ack["status"]) == (200, "queued")
    local.drain()
    _, answer, _ = send(local, "/client-data", json.dumps(INITIATIONS["number"]).encode(), WORKSPACE)
    answer.pop("type")
    assert parse(ConversationInitiationClientDataRequestInput, answer).dynamic_variables["caller_name"] == ROBIN


@pytest.mark.parametrize("phone", [None, "anonymous"])
def test_elevenlabs_conversation_without_a_number_is_archived_not_remembered(
    local_runtime: Any, phone: str | None
) -> None:
    local = local_runtime()
    body = elevenlabs_conversation(phone, f"conv_sdk_{phone}")
    status, ack, _ = send(local, "/post-call", body, {"ElevenLabs-Signature": sign_elevenlabs(body)})
    assert (status, ack["status"]) == (200, "archived")
    local.drain()
    assert local.runtime.store.count() == 0


# Retell (retell-sdk) ---------------------------------------------------------------------------------------------


class _InboundFields(BaseModel):
    """The ``call_inbound`` answer as Retell documents it (the SDK has no model for it), with the SDK's own types
    for its parts: ``retell_llm_dynamic_variables`` (``Dict[str, str]``) and the create-call ``AgentOverride``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    dynamic_variables: dict[str, str] | None = None
    metadata: dict[str, Any] | None = None
    override_agent_id: str | None = None
    override_agent_version: int | None = None
    agent_override: AgentOverride | None = None
    reject: bool | None = None


class _InboundAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    call_inbound: _InboundFields


@pytest.mark.parametrize("caller", [CALLER, "anonymous", "+266696687", None, "sip:+15555550142@sip.example.com"])
def test_retell_inbound_answer_is_the_documented_shape(local_runtime: Any, caller: str | None) -> None:
    # ``call_inbound`` has no SDK request type: it is built from the documented example
    event = load_payload("retell_call_inbound")
    event["event_timestamp"] = int(time.time() * 1000)
    if caller is None:
        event["call_inbound"].pop("from_number")
    else:
        event["call_inbound"]["from_number"] = caller
    body, headers = retell_signed(event)
    status, answer, _ = send(local_runtime("retell_appointments"), "/client-data", body, headers)
    assert status == 200
    inbound = _InboundAnswer.model_validate(answer).call_inbound
    assert inbound.reject is None and inbound.dynamic_variables is not None
    known = caller in (CALLER, "sip:+15555550142@sip.example.com")
    assert inbound.dynamic_variables["caller_known"] == ("yes" if known else "no")
    assert (inbound.metadata is not None) == known


def retell_phone_call(from_number: str, **extra: Any) -> PhoneCallResponse:
    return PhoneCallResponse(
        agent_id="agent_1",
        agent_version=1,
        call_id=extra.pop("call_id", "call_sdk_0001"),
        call_status="ended",
        call_type="phone_call",
        direction="inbound",
        from_number=from_number,
        to_number="+15555550100",
        start_timestamp=int((time.time() - 600) * 1000),
        **extra,
    )


def retell_web_call(**extra: Any) -> WebCallResponse:
    return WebCallResponse(
        access_token="token",
        agent_id="agent_1",
        agent_version=1,
        call_id=extra.pop("call_id", "call_sdk_web"),
        call_status="ended",
        call_type="web_call",
        **extra,
    )


@pytest.mark.parametrize("kind", ["phone", "web", "withheld"])
def test_retell_custom_function_with_an_sdk_call_object(local_runtime: Any, kind: str) -> None:
    call = {"phone": retell_phone_call(CALLER), "web": retell_web_call(), "withheld": retell_phone_call("anonymous")}
    body = {"name": "recall_memory", "args": {"query": "the dog"}, "call": call[kind].model_dump(mode="json")}
    signed, headers = retell_signed(body)
    status, answer, _ = send(local_runtime("retell_appointments"), "/retrieve", signed, headers)
    assert status == 200 and len(json.dumps(answer)) <= 15_000
    expected = NO_MATCHING_MEMORIES if kind == "phone" else NO_MEMORIES_UNKNOWN_CALLER
    assert answer["result"] == expected and answer["memories"] == []


def test_retell_args_only_without_a_mapped_caller_stays_a_clear_422(local_runtime: Any) -> None:
    signed, headers = retell_signed({"query": "the dog"})
    status, answer, _ = send(local_runtime("retell_appointments"), "/retrieve", signed, headers)
    assert status == 422 and "args only" in answer["error"]


def test_retell_call_analyzed_from_the_sdk_reads_the_scrubbed_transcript(local_runtime: Any) -> None:
    local = local_runtime("retell_appointments")
    turns = [
        ScrubbedTranscriptWithToolCallUtterance(role="user", content="Our parrot Kiwi needs a quiet room.", words=[])
    ]
    call = retell_phone_call(CALLER, scrubbed_transcript_with_tool_calls=turns)
    signed, headers = retell_signed({"event": "call_analyzed", "call": call.model_dump(mode="json", exclude_none=True)})
    status, ack, _ = send(local, "/post-call", signed, headers)
    assert (status, ack["status"]) == (200, "queued")
    local.drain()
    signed, headers = retell_signed(
        {"name": "recall_memory", "args": {"query": "parrot Kiwi"}, "call": call.model_dump(mode="json")}
    )
    _, answer, _ = send(local, "/retrieve", signed, headers)
    assert any("parrot Kiwi" in memory["text"] for memory in answer["memories"])


@pytest.mark.parametrize("kind", ["web", "withheld"])
def test_retell_call_analyzed_without_a_number_is_archived_not_remembered(local_runtime: Any, kind: str) -> None:
    local = local_runtime("retell_appointments")
    call = retell_web_call() if kind == "web" else retell_phone_call("anonymous", call_id="call_sdk_anon")
    signed, headers = retell_signed({"event": "call_analyzed", "call": call.model_dump(mode="json", exclude_none=True)})
    status, ack, _ = send(local, "/post-call", signed, headers)
    assert (status, ack["status"]) == (200, "archived")
    local.drain()
    assert local.runtime.store.count() == 0
