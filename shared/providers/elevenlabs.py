"""ElevenLabs Agents: conversation-initiation webhook, server tool, post-call webhooks.

The initiation webhook and server tools are unsigned (a secret header); post-call webhooks are signed with
``ElevenLabs-Signature``. Memory reaches the agent through dynamic variables its own prompt references
(``{{memory_context}}``); the system prompt is replaced only if the agent type asks for it.
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
    caller_of,
)
from shared.providers.payload import as_dict, as_list, as_text, require_object, scalar_text, timestamp

TRANSCRIPTION = "post_call_transcription"
MAX_FIELDS = 64


def _data_collection(analysis: dict[str, Any]) -> dict[str, str]:
    """``data_collection_results`` (``{id: {value}}``), filled in from ``data_collection_results_list``
    (``[{data_collection_id, value}]``), which the SDK's analysis model also defines and may be the only one sent."""
    found = {
        str(name)[:64]: text
        for item in as_list(analysis.get("data_collection_results_list"))
        if (name := as_text(as_dict(item).get("data_collection_id"))) is not None
        and (text := scalar_text(as_dict(item).get("value"))) is not None
    }
    found.update(
        {
            str(name)[:64]: text
            for name, result in as_dict(analysis.get("data_collection_results")).items()
            if (text := scalar_text(as_dict(result).get("value"))) is not None
        }
    )
    return dict(list(found.items())[:MAX_FIELDS])


class ElevenLabsProvider(Provider):
    name = "elevenlabs"
    memory_events = frozenset({TRANSCRIPTION})

    @classmethod
    def defaults(cls) -> ProviderDefaults:
        workspace_key = EndpointAuth(scheme="header", header="X-Workspace-Key", secret="ELEVENLABS_WORKSPACE_KEY")
        return ProviderDefaults(
            auth={
                "client_data": workspace_key,
                "retrieve": workspace_key,
                "post_call": EndpointAuth(
                    scheme="elevenlabs_hmac",
                    header="ElevenLabs-Signature",
                    secret="ELEVENLABS_HMAC_KEY",
                    max_age_seconds=1800,
                    max_future_seconds=300,
                ),
            },
            webhooks=WebhooksConfig(ingest_events=[TRANSCRIPTION]),
            field_mappings={
                # user_id and non-system dynamic variables are what the client passed: client_user_id, namespaced
                "client_data": {
                    "caller_id": ["caller_id", "system__caller_id"],
                    "client_user_id": ["user_id"],
                    "call_id": ["call_sid", "call_id"],
                    "agent_id": ["agent_id"],
                },
                "retrieve": {
                    # the original system's tool sent user_id with the default {{system__caller_id}}: the platform's
                    "caller_id": ["user_id", "caller_id", "system__caller_id"],
                    "query": ["query"],
                    "conversation_id": ["conversation_id", "system__conversation_id"],
                },
                "post_call": {
                    "caller_id": [
                        "data.metadata.phone_call.external_number",
                        "data.conversation_initiation_client_data.dynamic_variables.system__caller_id",
                    ],
                    "client_user_id": [
                        "data.user_id",
                        "data.conversation_initiation_client_data.user_id",
                        "data.conversation_initiation_client_data.dynamic_variables.user_id",
                        "data.conversation_initiation_client_data.dynamic_variables.caller_id",
                    ],
                    "conversation_id": ["data.conversation_id"],
                    "summary": ["data.analysis.transcript_summary", "data.analysis.summary"],
                    "started_at": ["data.metadata.start_time_unix_secs", "event_timestamp"],
                    "outcome": ["data.analysis.call_successful"],
                },
            },
            response_format="elevenlabs_v1",
            pre_call_deadline_ms=1000,  # ElevenLabs waits about 1-1.5 s (undocumented)
        )

    def format_pre_call(self, context: CallerContext, *, agent: AgentType) -> dict[str, Any]:
        variables = {**agent.response.static_variables, **context.variables()}
        override: dict[str, Any] = {}
        if agent.response.send_first_message:
            override["first_message"] = context.first_message
        if agent.response.prompt_override:
            override["prompt"] = {
                "prompt": agent.response.prompt_override.replace("{{memory_context}}", context.context)
            }
        answer: dict[str, Any] = {"type": "conversation_initiation_client_data", "dynamic_variables": variables}
        if override:
            answer["conversation_config_override"] = {"agent": override}
        return answer

    def parse_post_call(self, payload: Any, fields: FieldMapper, ingest_events: list[str]) -> PostCallEvent:
        body = require_object(payload)
        event_type = as_text(body.get("type"))
        if event_type is None:
            raise Unprocessable("missing field: type")
        data = as_dict(body.get("data"))
        conversation_id = fields.text(body, "conversation_id")
        key = f"{event_type}:{conversation_id or as_text(body.get('event_timestamp')) or 'unknown'}"
        if event_type not in ingest_events:
            return PostCallEvent(idempotency_key=key, event_type=event_type, ingest=False)
        if conversation_id is None:
            raise Unprocessable("missing field: data.conversation_id")
        analysis = as_dict(data.get("analysis"))
        extracted = _data_collection(analysis)
        turns = [
            message
            for turn in as_list(data.get("transcript"))
            if as_dict(turn).get("role") == "user" and (message := as_text(as_dict(turn).get("message")))
        ]
        return PostCallEvent(
            idempotency_key=key,
            event_type=event_type,
            ingest=True,
            caller=caller_of(body, fields),
            conversation_id=conversation_id,
            occurred_at=timestamp(fields.get(body, "started_at")),
            summary=fields.text(body, "summary"),
            fields=extracted,
            caller_turns=turns,
            outcome=fields.text(body, "outcome"),
        )

    def echo(self, payload: Any) -> PlatformEcho:
        """The initiation data's dynamic variables and every transcript turn's ``tool_results[].result_value``."""
        data = as_dict(as_dict(payload).get("data"))
        variables = as_dict(data.get("conversation_initiation_client_data")).get("dynamic_variables")
        results = [
            as_dict(result).get("result_value")
            for turn in as_list(data.get("transcript"))
            for result in as_list(as_dict(turn).get("tool_results"))
        ]
        return PlatformEcho.of(variables, results)
