"""Retell AI: inbound webhook, custom functions and lifecycle webhooks, all signed with ``X-Retell-Signature``.

``call_inbound``     -> ``{"call_inbound": {"dynamic_variables": {...strings}, "metadata": {"memory_user_id"},
                        "agent_override"?: {"retell_llm": {"begin_message"}}}}``; Retell echoes ``metadata`` as
                        ``call.metadata`` on every later event of the call
custom function      -> the memories as JSON (at most 15 000 characters, Retell's cap); POST /retrieve only
lifecycle events     -> ``webhooks.ingest_events`` (default ``call_analyzed``) become memories:
                        ``call_analysis.call_summary``, ``custom_analysis_data`` and changed
                        ``collected_dynamic_variables`` as fields, the user's turns (``transcript_object``, else
                        ``transcript_with_tool_calls``, else the transcript string; with PII scrubbing on, only
                        the ``scrubbed_*`` transcripts, never the raw ones);
                        other events (``call_started``, ``call_ended``, unknown ones) are acknowledged with a 200

The caller is ``from_number`` on inbound calls and ``to_number`` on outbound ones, read from Retell's own call
object; a call without one (a web call, a withheld number) is answered as an unknown caller, never refused.
A custom function sent with "Payload: args only" (``args_at_root``) has no call object: its body is
only what the LLM wrote, so nothing in it is bound to the call. Such requests are refused (422) unless the
agent type maps ``field_mappings.retrieve.caller_id`` to an argument on purpose, accepting that risk.
Custom-function bodies are never re-routed by their content (an argument named ``event`` is the LLM's).
Idempotency key: ``event:call.call_id``.
"""

from __future__ import annotations

import json
from typing import Any

from shared.config.models import AgentType, EndpointAuth, WebhooksConfig
from shared.errors import Unprocessable
from shared.fields import FieldMapper
from shared.providers.base import (
    NO_MATCHING_MEMORIES,
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
    scalar_text,
    timestamp,
)

CALL_INBOUND = "call_inbound"
CALL_ANALYZED = "call_analyzed"
ONE_CALL_EVENTS = frozenset({"call_ended", CALL_ANALYZED})  # one call, delivered twice
MAX_RESULT_CHARS = 15_000
MAX_FIELDS = 64
ARGS_AT_ROOT = (
    "custom function sent without its call object ('Payload: args only'); turn that off so the caller comes "
    "from Retell's call, or map field_mappings.retrieve.caller_id"
)
# disconnection reasons of a call in which nobody we remember spoke: a voicemail greeting, a call never answered
NO_CONVERSATION = frozenset({"voicemail_reached", "dial_no_answer", "dial_busy", "dial_failed"})
# variables this service sends or Retell's flows keep: never remembered as facts about the caller
_NOT_FACTS = frozenset(
    {
        "caller_id",
        "caller_known",
        "memory_count",
        "call_count",
        "returning_caller",
        "memory_summary",
        "memory_context",
        "memory_user_id",
        "first_message",
        "previous_node",
        "current_node",
    }
)


def _customer_number(call: dict[str, Any]) -> str | None:
    """The customer's number in either direction: ``to_number`` when the agent called out."""
    outbound = str(call.get("direction", "")).lower() == "outbound"
    return as_text(call.get("to_number" if outbound else "from_number"))


def _nested(body: dict[str, Any]) -> bool:
    """``{"name", "args", "call"}`` as Retell sends it by default, rather than the args alone; a field Retell adds
    beside them does not make its call object the LLM's arguments."""
    return isinstance(body.get("call"), dict) and "args" in body


def _arguments(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return as_dict(value)


def _extracted(call: dict[str, Any]) -> dict[str, str]:
    """``custom_analysis_data`` first; ``collected_dynamic_variables`` only where they hold something new."""
    sent = as_dict(call.get("retell_llm_dynamic_variables"))
    found = {
        str(name)[:64]: text
        for name, value in as_dict(call.get("collected_dynamic_variables")).items()
        if name not in _NOT_FACTS and (text := scalar_text(value)) is not None and sent.get(name) != value
    }
    analysis = as_dict(call.get("call_analysis"))
    custom = analysis.get("custom_analysis_data")
    found.update(extracted_fields(custom, "custom_analysis_data"))
    return dict(list(found.items())[:MAX_FIELDS])


_SCRUBBED = ("scrubbed_transcript_with_tool_calls", "scrubbed_transcript_object")
_RAW = ("transcript_object", "transcript_with_tool_calls")


def _user_turns(items: list[Any]) -> list[str]:
    """The user's utterances; tool invocations, results, node transitions and DTMF entries have other roles."""
    return [
        text
        for item in items
        if as_dict(item).get("role") == "user" and (text := as_text(as_dict(item).get("content")))
    ]


def _caller_turns(call: dict[str, Any]) -> list[str]:
    """With PII scrubbing on (a ``scrubbed_*`` transcript, or storage ``everything_except_pii``) only the scrubbed
    transcripts are read, never the raw ones; otherwise the utterance list first, the transcript string last."""
    scrubbing = call.get("data_storage_setting") == "everything_except_pii" or any(
        isinstance(call.get(name), list) for name in _SCRUBBED
    )
    for name in _SCRUBBED if scrubbing else _RAW:
        if items := as_list(call.get(name)):
            return _user_turns(items)
    if scrubbing:
        return []
    turns = []
    for line in (as_text(call.get("transcript")) or "").splitlines():
        head = line.strip()
        if head.lower().startswith("user:") and (text := head[5:].strip()):
            turns.append(text)
    return turns


def _outcome(analysis: dict[str, Any]) -> str | None:
    successful = analysis.get("call_successful")
    if isinstance(successful, bool):
        return "success" if successful else "failure"
    return None


def _fit(answer: dict[str, Any]) -> dict[str, Any]:
    """Retell cuts a function's result at 15 000 characters; drop whole memories (the weakest last) instead."""
    memories = list(answer["memories"])
    # a cheap upper bound first (escaping at most sextuples a character): most answers are far below the cap
    if sum(6 * len(m["text"]) + 200 for m in memories) + 6 * len(answer["result"]) + 100 <= MAX_RESULT_CHARS:
        return answer
    candidate = answer
    while memories and len(json.dumps(candidate, separators=(",", ":"), ensure_ascii=False)) > MAX_RESULT_CHARS:
        memories.pop()
        text = "\n".join(f"- {m['text']}" for m in memories) or NO_MATCHING_MEMORIES
        candidate = {**answer, "memories": memories, "count": len(memories), "result": text}
    return candidate


class RetellProvider(Provider):
    name = "retell"
    memory_events = ONE_CALL_EVENTS

    @classmethod
    def check_config(cls, agent: AgentType) -> list[str]:
        # both events of one call carry the same transcript under two idempotency keys: every turn kept twice
        events = set(agent.webhooks.ingest_events) if agent.webhooks else set()
        if events >= ONE_CALL_EVENTS:
            return [
                "webhooks.ingest_events: call_ended and call_analyzed are the same call, each would be remembered; "
                "choose one (call_analyzed, or call_ended without post-call analysis)"
            ]
        return []

    @classmethod
    def defaults(cls) -> ProviderDefaults:
        signature = EndpointAuth(
            scheme="retell_signature", header="X-Retell-Signature", secret="RETELL_API_KEY", max_age_seconds=300
        )
        return ProviderDefaults(
            auth={"client_data": signature, "retrieve": signature, "post_call": signature},
            webhooks=WebhooksConfig(ingest_events=[CALL_ANALYZED]),
            field_mappings={
                "client_data": {
                    "caller_id": ["call_inbound.from_number"],
                    "agent_id": ["call_inbound.agent_id"],
                },
                "retrieve": {"query": ["query", "question"], "conversation_id": ["call.call_id"]},
                "post_call": {
                    "conversation_id": ["call.call_id"],
                    "summary": ["call.call_analysis.call_summary"],
                    "started_at": ["call.start_timestamp", "event_timestamp"],
                },
            },
            response_format="retell_v1",
            pre_call_deadline_ms=8000,  # Retell waits 10 s, then retries while the call rings
        )

    def operation(self, route: Operation, payload: Any) -> Operation:
        """Lifecycle and inbound events by ``event`` (one URL may serve both); custom functions by route only."""
        if route is Operation.TOOL:
            return route
        event = as_text(require_object(payload).get("event"))
        if event is None:
            return route
        if event == CALL_INBOUND:
            return Operation.PRE_CALL
        if route is Operation.POST_CALL or isinstance(payload.get("call"), dict):
            return Operation.POST_CALL
        return Operation.IGNORE

    def parse_pre_call(self, payload: Any, fields: FieldMapper) -> PreCallRequest:
        body = require_object(payload)
        if not isinstance(body.get("call_inbound"), dict):
            raise Unprocessable("missing field: call_inbound")
        return PreCallRequest(caller=fields.text(body, "caller_id"), agent_id=fields.text(body, "agent_id"))

    def format_pre_call(self, context: CallerContext, *, agent: AgentType) -> dict[str, Any]:
        variables = {
            **agent.response.static_variables,
            **context.variables(),
            "first_message": context.first_message,
        }
        inbound: dict[str, Any] = {"dynamic_variables": variables}
        variables["memory_user_id"] = context.user_id or ""  # present for every caller, as the prompt expects
        if context.user_id:
            inbound["metadata"] = {"memory_user_id": context.user_id}
        if agent.response.send_first_message:
            inbound["agent_override"] = {"retell_llm": {"begin_message": context.first_message}}
        return {"call_inbound": inbound}

    def parse_tool(self, payload: Any, fields: FieldMapper) -> ToolRequest:
        body = require_object(payload)
        nested = _nested(body)
        args = _arguments(body.get("args")) if nested else body
        query = fields.text(args, "query")
        if query is None and not nested and "args" in body:  # {"name", "args"}: Retell's shape, its call left out
            raise Unprocessable("missing field: call (a custom function's call object, beside its args)")
        if query is None and not fields.present(args, "query"):
            raise Unprocessable("missing field: query")  # a function set up without it; an empty one gets NO_QUERY
        caller = fields.text(body, "caller_id") or (_customer_number(body["call"]) if nested else None)
        if caller is None and not nested and not fields.maps("caller_id"):
            raise Unprocessable(ARGS_AT_ROOT)  # a misconfiguration, not an unknown caller
        return ToolRequest(
            caller=caller,
            calls=[ToolCall(query=query or "", name=as_text(body.get("name")) if nested else None)],  # "": NO_QUERY
            conversation_id=fields.text(body, "conversation_id") if nested else None,
        )

    def format_tool(self, answers: list[ToolAnswer]) -> dict[str, Any]:
        return _fit(answers[0].as_json())

    def parse_post_call(self, payload: Any, fields: FieldMapper, ingest_events: list[str]) -> PostCallEvent:
        body = require_object(payload)
        event = as_text(body.get("event"))
        if event is None:
            raise Unprocessable("missing field: event")
        call_id = fields.text(body, "conversation_id")
        key = f"{event}:{call_id or as_text(body.get('event_timestamp')) or 'unknown'}"
        if event not in ingest_events:
            return PostCallEvent(idempotency_key=key, event_type=event, ingest=False)
        if call_id is None:
            raise Unprocessable("missing field: call.call_id")
        call = as_dict(body.get("call"))
        voicemail = as_dict(call.get("call_analysis")).get("in_voicemail") is True
        if voicemail or as_text(call.get("disconnection_reason")) in NO_CONVERSATION:
            return PostCallEvent(idempotency_key=key, event_type=event, ingest=False)  # nobody we remember spoke
        return PostCallEvent(
            idempotency_key=key,
            event_type=event,
            ingest=True,
            caller=fields.text(body, "caller_id") or _customer_number(call),
            conversation_id=call_id,
            occurred_at=timestamp(fields.get(body, "started_at")),
            summary=fields.text(body, "summary"),
            fields=_extracted(call),
            caller_turns=_caller_turns(call),
            outcome=_outcome(as_dict(call.get("call_analysis"))),
        )

    def echo(self, payload: Any) -> PlatformEcho:
        """``call.retell_llm_dynamic_variables`` and the ``tool_call_result`` entries of the tool transcript."""
        call = as_dict(as_dict(payload).get("call"))
        results = [
            as_dict(item).get("content")
            for item in as_list(call.get("transcript_with_tool_calls"))
            if as_dict(item).get("role") == "tool_call_result"
        ]
        return PlatformEcho.of(call.get("retell_llm_dynamic_variables"), results)
