"""Vapi: server messages ``{"message": {"type": ...}}``, routed by type whichever route they arrive on.

Vapi users often give one server URL for everything, so the message type decides, not the path:

``assistant-request``   -> ``{"assistantId"?, "assistantOverrides": {"variableValues": {...strings},
                           "firstMessage"?, "metadata": {"memory_user_id"}}}``
``tool-calls``          -> ``{"results": [{"toolCallId", "name", "result": "<JSON string>"}]}``, one per call
``end-of-call-report``  -> memories: ``analysis.summary``; ``artifact.structuredOutputs``,
                           ``analysis.structuredDataMulti`` and ``analysis.structuredData`` as fields (the later
                           wins), ``customer.name`` when none of them names the caller; the customer's turns
messages that expect an answer this service does not give (a misrouted server URL) -> the neutral answer of
                           ``NEUTRAL_ANSWERS``, so the call goes on as if the hook were not configured
anything else           -> 200 ``{"status": "ignored"}`` so Vapi never gives up on the server URL

The caller is always ``message.call.customer.number`` (else ``message.customer.number``, else the customer's
``sipUri``), never a tool argument: the LLM chooses arguments. A call with none of them (a web call, a withheld
number) is answered as an unknown caller, never refused. Field mappings for ``retrieve.query`` are read from each
tool call's arguments; every other mapped field from the whole body. Idempotency key:
``message.type:message.call.id``.
"""

from __future__ import annotations

import json
from typing import Any

from shared.config.models import AgentType, EndpointAuth, WebhooksConfig
from shared.errors import BadRequest, Unprocessable
from shared.fields import FieldMapper
from shared.identity import is_withheld
from shared.memory.auto_extract import plausible_name, stands_for_no_name
from shared.memory.models import field_key
from shared.providers.base import (
    CallerContext,
    Operation,
    PlatformEcho,
    PostCallEvent,
    PreCallRequest,
    Provider,
    ProviderDefaults,
    ToolAnswer,
    ToolCall,
    ToolRequest,
)
from shared.providers.payload import (
    as_dict,
    as_list,
    as_text,
    extracted_fields,
    require_object,
    timestamp,
)

ASSISTANT_REQUEST = "assistant-request"
TOOL_CALLS = "tool-calls"
END_OF_CALL_REPORT = "end-of-call-report"
OPERATIONS = {
    ASSISTANT_REQUEST: Operation.PRE_CALL,
    TOOL_CALLS: Operation.TOOL,
    END_OF_CALL_REPORT: Operation.POST_CALL,
}
MAX_TOOL_CALLS = 16
MAX_FIELDS = 64
NOT_HANDLED = "The memory service does not handle this request; carry on without it."
# The answers Vapi's SDK (ServerMessageResponse*) defines for messages this service is not the server of, each
# chosen so the call goes on as if nothing had answered: no transfer, no handoff, no documents, the contact dialled
# as without a pre-dial hook, the endpointing delay of Vapi's own example, and silence for a voice request (its
# answer is raw PCM audio, so any JSON would be played as noise).
NEUTRAL_ANSWERS: dict[str, dict[str, Any] | bytes] = {
    "transfer-destination-request": {"error": NOT_HANDLED},
    "handoff-destination-request": {"destination": {}, "error": NOT_HANDLED},
    "knowledge-base-request": {"documents": []},
    "campaign.predial": {"eligible": True},
    "call.endpointing.request": {"timeoutSeconds": 0.5},
    "voice-request": b"",
}

_CALLER = [
    "message.call.customer.number",
    "message.customer.number",
    "message.call.customer.sipUri",
    "message.customer.sipUri",
]
# ended reasons of a call in which nobody we remember spoke: a voicemail greeting, a call never answered
NO_CONVERSATION = frozenset({"voicemail", "customer-did-not-answer", "customer-busy"})
# fields whose name says they name the person on the line ("callerName", "full_name", "contact_name"); "company_name",
# "guest_name" or "pet_name" name someone or something else, and the caller's own customer.name still counts
_CALLER_NAME_PARTS = frozenset({"caller", "customer", "full", "first", "last", "given", "family", "user", "contact"})
_CALLER_ROLES = {"user", "customer"}
_TRANSCRIPT_PREFIXES = ("user:", "customer:")


def _message(payload: Any) -> dict[str, Any]:
    message = require_object(payload).get("message")
    if not isinstance(message, dict):
        raise BadRequest('expected a Vapi server message: {"message": {"type": ...}}')
    return message


def _message_type(message: dict[str, Any]) -> str:
    message_type = as_text(message.get("type"))
    if message_type is None:
        raise Unprocessable("missing field: message.type")
    return message_type


def _arguments(value: Any) -> dict[str, Any]:
    """Tool arguments arrive as an object or as a JSON string, depending on the source (§3.4)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return as_dict(value)


def _tool_call_items(message: dict[str, Any]) -> list[Any]:
    """``toolCallList``, else the legacy ``toolCalls``, else ``toolWithToolCallList[].toolCall``."""
    for name in ("toolCallList", "toolCalls"):
        items = as_list(message.get(name))
        if items:
            return items
    return [as_dict(tool).get("toolCall") for tool in as_list(message.get("toolWithToolCallList"))]


def _tool_calls(message: dict[str, Any], fields: FieldMapper) -> list[ToolCall]:
    calls: dict[str, ToolCall] = {}
    for raw in _tool_call_items(message):
        item = as_dict(raw)
        call_id = as_text(item.get("id"))
        if call_id is None or call_id in calls:  # without an id Vapi cannot match an answer to it
            continue
        function = as_dict(item.get("function"))
        name = as_text(function.get("name")) or as_text(item.get("name"))
        raw_args = next(
            (v for v in (function.get("arguments"), item.get("arguments"), item.get("parameters")) if v is not None),
            None,
        )
        calls[call_id] = ToolCall(query=fields.text(_arguments(raw_args), "query") or "", call_id=call_id, name=name)
    if not calls:
        raise Unprocessable("missing field: message.toolCallList (no tool call with an id)")
    if len(calls) > MAX_TOOL_CALLS:
        raise Unprocessable(f"too many tool calls in one message (at most {MAX_TOOL_CALLS})")
    return list(calls.values())


def _structured_outputs(value: Any) -> dict[str, str]:
    """``artifact.structuredOutputs``: ``{<id>: {"name", "result"}}``; object results are flattened."""
    found: dict[str, str] = {}
    for output_id, output in as_dict(value).items():
        entry = as_dict(output)
        if "result" not in entry:
            found.update(extracted_fields(output, str(output_id)))
            continue
        label = (as_text(entry.get("name")) or str(output_id)).lower().replace(" ", "_")
        found.update(extracted_fields(entry["result"], label))
    return found


def _structured_data_multi(value: Any) -> dict[str, str]:
    """``analysis.structuredDataMulti``: one object per catalog entry of ``analysisPlan.structuredDataMultiPlan``.

    Its items are untyped in the SDK (``Dict[str, Any]``); read ``{"key", "structuredData" | "result" | ...}`` and
    plain ``{field: value}`` or ``{<key>: {field: value}}`` objects alike.
    """
    found: dict[str, str] = {}
    for raw in as_list(value):
        item = as_dict(raw)
        key = as_text(item.get("key"))
        data = next((item[k] for k in ("structuredData", "data", "result", "value", "output") if k in item), None)
        if key is not None and data is not None:
            found.update(extracted_fields(data, key.lower().replace(" ", "_")))
            continue
        for name, entry in item.items():
            found.update(extracted_fields(entry, str(name)))
    return found


def _customer_name(message: dict[str, Any]) -> str | None:
    """``customer.name``: set through the API, or a SIP caller's display name; kept only if it reads as a name."""
    call_customer = as_dict(as_dict(message.get("call")).get("customer"))
    name = as_text(call_customer.get("name")) or as_text(as_dict(message.get("customer")).get("name"))
    if name is None or not plausible_name(" ".join(name.split())) or stands_for_no_name(name) or is_withheld(name):
        return None
    return " ".join(name.split())


def _names_the_caller(key: str) -> bool:
    parts = field_key(key).split("_")
    return parts == ["name"] or (parts[-1] == "name" and parts[-2] in _CALLER_NAME_PARTS)


def _caller_turns(message: dict[str, Any]) -> list[str]:
    """The customer's turns from ``artifact.messages`` (``bot``/``assistant`` are the agent), else the
    legacy top-level ``messages``, else the ``User:`` lines of the transcript string."""
    artifact = as_dict(message.get("artifact"))
    items = as_list(artifact.get("messages")) or as_list(message.get("messages"))
    if items:
        return [
            text
            for item in items
            if str(as_dict(item).get("role", "")).lower() in _CALLER_ROLES
            and (text := as_text(as_dict(item).get("message")))
        ]
    transcript = as_text(artifact.get("transcript")) or as_text(message.get("transcript")) or ""
    turns = []
    for line in transcript.splitlines():
        head = line.strip()
        for prefix in _TRANSCRIPT_PREFIXES:
            if head.lower().startswith(prefix) and (text := head[len(prefix) :].strip()):
                turns.append(text)
    return turns


def _outcome(value: Any) -> str | None:
    """``successEvaluation`` is a string whose shape depends on the rubric: booleans become success/failure."""
    text = "true" if value is True else "false" if value is False else as_text(value)
    if text is None:
        return None
    return {"true": "success", "false": "failure"}.get(text.lower(), text[:64])


def _result(answer: ToolAnswer) -> str:
    if not answer.caller_known or not answer.call.asks or answer.unavailable:
        return answer.as_text()
    return json.dumps(answer.as_json(), separators=(",", ":"), ensure_ascii=False)


class VapiProvider(Provider):
    name = "vapi"
    memory_events = frozenset({END_OF_CALL_REPORT})

    @classmethod
    def check_config(cls, agent: AgentType) -> list[str]:
        # an assistant-request answer without an assistant is rejected by Vapi and the call is dropped
        return (
            []
            if agent.response.assistant_id
            else ["response.assistant_id: Vapi needs the saved assistant to answer with"]
        )

    @classmethod
    def defaults(cls) -> ProviderDefaults:
        credential = EndpointAuth(scheme="bearer_or_header", header="X-Vapi-Secret", secret="VAPI_SECRET")
        return ProviderDefaults(
            auth={"client_data": credential, "retrieve": credential, "post_call": credential},
            webhooks=WebhooksConfig(ingest_events=[END_OF_CALL_REPORT]),
            field_mappings={
                "client_data": {
                    "caller_id": _CALLER,
                    "call_id": ["message.call.id"],
                    "agent_id": ["message.call.assistantId", "message.assistant.id"],
                },
                "retrieve": {
                    "caller_id": _CALLER,
                    "query": ["query", "question"],
                    "conversation_id": ["message.call.id"],
                },
                "post_call": {
                    "caller_id": _CALLER,
                    "conversation_id": ["message.call.id"],
                    "summary": ["message.analysis.summary", "message.summary"],
                    "started_at": ["message.startedAt", "message.call.startedAt", "message.timestamp"],
                    "outcome": ["message.analysis.successEvaluation"],
                },
            },
            response_format="vapi_v1",
            pre_call_deadline_ms=5000,  # Vapi's assistant-request has 7.5 s end to end, fixed
        )

    def operation(self, route: Operation, payload: Any) -> Operation:
        return OPERATIONS.get(_message_type(_message(payload)), Operation.IGNORE)

    def parse_pre_call(self, payload: Any, fields: FieldMapper) -> PreCallRequest:
        _message(payload)
        return PreCallRequest(
            caller=fields.text(payload, "caller_id"),
            call_id=fields.text(payload, "call_id"),
            agent_id=fields.text(payload, "agent_id"),
        )

    def format_pre_call(self, context: CallerContext, *, agent: AgentType) -> dict[str, Any]:
        variables = {**agent.response.static_variables, **context.variables()}
        overrides: dict[str, Any] = {"variableValues": variables}
        if agent.response.send_first_message:
            overrides["firstMessage"] = context.first_message
        variables["memory_user_id"] = context.user_id or ""  # present for every caller, as the prompt expects
        if context.user_id:
            overrides["metadata"] = {"memory_user_id": context.user_id}
        answer: dict[str, Any] = {}
        if agent.response.assistant_id:
            answer["assistantId"] = agent.response.assistant_id
        answer["assistantOverrides"] = overrides
        return answer

    def parse_tool(self, payload: Any, fields: FieldMapper) -> ToolRequest:
        message = _message(payload)
        return ToolRequest(
            caller=fields.text(payload, "caller_id"),
            calls=_tool_calls(message, fields),
            conversation_id=fields.text(payload, "conversation_id"),
        )

    def format_tool(self, answers: list[ToolAnswer]) -> dict[str, Any]:
        return {
            "results": [
                {
                    "toolCallId": answer.call.call_id or "",
                    "name": answer.call.name or "",
                    "result": _result(answer),
                }
                for answer in answers
            ]
        }

    def ignored(self, payload: Any) -> dict[str, Any] | bytes:
        return NEUTRAL_ANSWERS.get(_message_type(_message(payload)), {"status": "ignored"})

    def parse_post_call(self, payload: Any, fields: FieldMapper, ingest_events: list[str]) -> PostCallEvent:
        message = _message(payload)
        event_type = _message_type(message)
        call_id = fields.text(payload, "conversation_id")
        key = f"{event_type}:{call_id or as_text(message.get('timestamp')) or 'unknown'}"
        if event_type not in ingest_events:
            return PostCallEvent(idempotency_key=key, event_type=event_type, ingest=False)
        if call_id is None:
            raise Unprocessable("missing field: message.call.id")
        if as_text(message.get("endedReason")) in NO_CONVERSATION:  # a voicemail greeting is not the caller's words
            return PostCallEvent(idempotency_key=key, event_type=event_type, ingest=False)
        analysis = as_dict(message.get("analysis"))
        extracted = _structured_outputs(as_dict(message.get("artifact")).get("structuredOutputs"))
        extracted.update(_structured_data_multi(analysis.get("structuredDataMulti")))
        extracted.update(extracted_fields(analysis.get("structuredData"), "structured_data"))
        if not any(_names_the_caller(key) for key in extracted) and (name := _customer_name(message)):
            extracted["customer_name"] = name
        return PostCallEvent(
            idempotency_key=key,
            event_type=event_type,
            ingest=True,
            caller=fields.text(payload, "caller_id"),
            conversation_id=call_id,
            occurred_at=timestamp(fields.get(payload, "started_at")),
            summary=fields.text(payload, "summary"),
            fields=dict(list(extracted.items())[:MAX_FIELDS]),
            caller_turns=_caller_turns(message),
            outcome=_outcome(fields.get(payload, "outcome")),
        )

    def echo(self, payload: Any) -> PlatformEcho:
        """``artifact.variableValues`` (else the call's assistant overrides) and ``tool_call_result`` messages."""
        message = as_dict(as_dict(payload).get("message"))
        artifact = as_dict(message.get("artifact"))
        overrides = as_dict(as_dict(message.get("call")).get("assistantOverrides"))
        variables = artifact.get("variableValues") or overrides.get("variableValues")
        results = [
            as_dict(item).get("result")
            for item in as_list(artifact.get("messages"))
            if as_dict(item).get("role") == "tool_call_result"
        ]
        return PlatformEcho.of(variables, results)
