"""The generic provider (``generic_v1``): plain JSON for custom platforms, authenticated by ``X-API-Key``.

Pre-call:  ``{"user_id" | "caller_id" | "phone_number": ..., "conversation_id"?}``
           -> ``{"format": "generic_v1", "user_id", "returning_caller", "memory_count", "call_count",
           "caller_name", "memory_summary", "memory_context", "first_message", "variables": {...strings}}``
Tool:      ``{"query": ..., "user_id" | "caller_id": ...}`` -> ``{"memories": [...], "count", "result"}``
Post-call: ``{"event"?: "call_completed", "conversation_id", "user_id" | "caller_id", "summary"?, "timestamp"?,
           "fields"?: {...}, "transcript"?: [{"role": "user" | "agent" | "assistant", "message" | "content"}]}``
"""

from __future__ import annotations

from typing import Any

from shared.config.models import AgentType, EndpointAuth, WebhooksConfig
from shared.errors import Unprocessable
from shared.fields import FieldMapper
from shared.providers.base import (
    CallerContext,
    PlatformEcho,
    PostCallEvent,
    Provider,
    ProviderDefaults,
)
from shared.providers.payload import as_dict, as_list, as_text, require_object, scalar_text, timestamp

CALL_COMPLETED = "call_completed"
_CALLER = ["user_id", "caller_id", "phone_number", "from_number"]
_CALLER_ROLES = {"user", "caller", "customer", "human"}


class GenericProvider(Provider):
    name = "generic"

    @classmethod
    def defaults(cls) -> ProviderDefaults:
        api_key = EndpointAuth(scheme="header", header="X-API-Key", secret="GENERIC_API_KEY")
        return ProviderDefaults(
            auth={"client_data": api_key, "retrieve": api_key, "post_call": api_key},
            webhooks=WebhooksConfig(ingest_events=[CALL_COMPLETED]),
            field_mappings={
                "client_data": {"caller_id": _CALLER, "call_id": ["conversation_id", "call_id"]},
                "retrieve": {"caller_id": _CALLER, "query": ["query"], "conversation_id": ["conversation_id"]},
                "post_call": {
                    "caller_id": _CALLER,
                    "conversation_id": ["conversation_id", "call_id"],
                    "event": ["event", "type"],
                    "summary": ["summary"],
                    "started_at": ["timestamp", "started_at"],
                    "fields": ["fields", "data"],
                    "transcript": ["transcript", "messages"],
                    "outcome": ["outcome"],
                },
            },
            response_format="generic_v1",
            pre_call_deadline_ms=3000,  # a platform of one's own: its budget is unknown
        )

    def format_pre_call(self, context: CallerContext, *, agent: AgentType) -> dict[str, Any]:
        return {
            "format": "generic_v1",
            "user_id": context.caller_id,
            "returning_caller": context.returning,
            "memory_count": context.memory_count,
            "call_count": context.call_count,
            "caller_name": context.fields.get("caller_name", ""),
            "memory_summary": context.summary,
            "memory_context": context.context,
            "first_message": context.first_message,
            "variables": {**agent.response.static_variables, **context.variables()},
        }

    def parse_post_call(self, payload: Any, fields: FieldMapper, ingest_events: list[str]) -> PostCallEvent:
        body = require_object(payload)
        event_type = fields.text(body, "event") or CALL_COMPLETED
        conversation_id = fields.text(body, "conversation_id")
        if conversation_id is None:
            raise Unprocessable("missing field: conversation_id")
        key = f"{event_type}:{conversation_id}"
        if event_type not in ingest_events:
            return PostCallEvent(idempotency_key=key, event_type=event_type, ingest=False)
        caller = fields.text(body, "caller_id")  # None (an anonymous user): archived, remembered under no id
        given_turns, given_fields, started = (fields.get(body, name) for name in ("transcript", "fields", "started_at"))
        # our own format: a value of the wrong shape is the sender's mistake, said now, not a call half-remembered
        if given_turns is not None and not isinstance(given_turns, list):
            raise Unprocessable("field transcript must be a list of turns")
        if given_fields is not None and not isinstance(given_fields, dict):
            raise Unprocessable("field fields must be an object of name: value")
        occurred_at = timestamp(started)
        if started is not None and occurred_at is None:
            raise Unprocessable("field timestamp must be an ISO 8601 time or unix seconds")
        turns = []
        for turn in as_list(given_turns):
            item = as_dict(turn)
            text = as_text(item.get("message")) or as_text(item.get("content")) or as_text(item.get("text"))
            if str(item.get("role", "")).lower() in _CALLER_ROLES and text:
                turns.append(text)
        extracted = {str(name): text for name, value in as_dict(given_fields).items() if (text := scalar_text(value))}
        return PostCallEvent(
            idempotency_key=key,
            event_type=event_type,
            ingest=True,
            caller=caller,
            conversation_id=conversation_id,
            occurred_at=occurred_at,
            summary=fields.text(body, "summary"),
            fields=extracted,
            caller_turns=turns,
            outcome=fields.text(body, "outcome"),
        )

    def echo(self, payload: Any) -> PlatformEcho:
        """A generic platform may send back ``variables`` (the pre-call answer's) and ``tool_results`` (texts)."""
        body = as_dict(payload)
        return PlatformEcho.of(body.get("variables"), as_list(body.get("tool_results")))
