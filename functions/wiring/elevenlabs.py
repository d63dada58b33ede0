"""ElevenLabs Agents: the HMAC post-call webhook, the workspace key as an ElevenLabs secret, the memory tool and
the agent's settings (initiation webhook with its secret header, override switches, post-call webhook, tool).

REST paths and bodies are those of the official SDK (elevenlabs 2.78: ``webhooks.create``,
``conversational_ai.secrets.create/update``, ``conversational_ai.tools.create/update``,
``conversational_ai.agents.update``). The webhook's signing secret exists only in the creation answer, so
it comes back in ``Wired.generated["ELEVENLABS_HMAC_KEY"]`` for the caller to store, and is never kept here.
Per-agent settings (``platform_settings.workspace_overrides``) leave the workspace's defaults alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from functions.wiring.api import PlatformApi, WiringError
from functions.wiring.model import (
    CLIENT_DATA,
    QUERY_DESCRIPTION,
    TOOL_DESCRIPTION,
    TOOL_NAME,
    Endpoints,
    Wired,
    changes,
    describe,
    fingerprint,
    keep_first,
    previous,
)
from shared.secrets import Secret

API_URL = "https://api.elevenlabs.io"
PLATFORM = "elevenlabs"
HEADER = "X-Workspace-Key"
TOOL_TIMEOUT_SECONDS = 10
POST_CALL_EVENT = "transcript"
# The call's MP3 in base64: over the service's post-call limit, refused with a 413, and ElevenLabs disables a
# webhook after repeated failures (docs/platforms.md). Kept for another webhook, they must not follow ours.
AUDIO_EVENTS = ("audio", "unredacted_audio")
TRANSCRIPT_FORMAT = "json"  # the service reads ElevenLabs' JSON transcript, not the OpenTelemetry one


@dataclass(frozen=True)
class ElevenLabsTarget:
    """Which agent, and what the memory service's answer needs from it (the override switches)."""

    agent_id: str
    workspace_key: Secret
    first_message: bool = True
    prompt: bool = False
    header: str = HEADER  # the secret header the agent type's client_data and retrieve check

    @property
    def label(self) -> str:
        return f"agent {self.agent_id}"


def target_from_props(props: dict[str, Any]) -> ElevenLabsTarget:
    """The target from the Pulumi resource's inputs (infra/wiring)."""
    return ElevenLabsTarget(
        agent_id=props["agent_id"],
        workspace_key=Secret(props["workspace_key"]),
        first_message=bool(props.get("first_message", True)),
        prompt=bool(props.get("prompt", False)),
        header=props.get("header") or HEADER,
    )


def api(api_key: Secret, api_url: str = API_URL, **kwargs: Any) -> PlatformApi:
    return PlatformApi(PLATFORM, api_url, {"xi-api-key": api_key.reveal()}, **kwargs)


def tool_config(endpoints: Endpoints, secret_id: str, header: str = HEADER) -> dict[str, Any]:
    """The server tool: the model fills ``query``; the caller and the conversation come from system variables."""
    return {
        "type": "webhook",
        "name": TOOL_NAME,
        "description": TOOL_DESCRIPTION,
        "response_timeout_secs": TOOL_TIMEOUT_SECONDS,
        "api_schema": {
            "url": endpoints.retrieve,
            "method": "POST",
            "request_headers": {header: {"secret_id": secret_id}},
            "request_body_schema": {
                "type": "object",
                "required": ["query", "caller_id"],
                "properties": {
                    "query": {"type": "string", "description": QUERY_DESCRIPTION},
                    "caller_id": {"type": "string", "dynamic_variable": "system__caller_id"},
                    "conversation_id": {"type": "string", "dynamic_variable": "system__conversation_id"},
                },
            },
        },
    }


def agent_settings(
    agent: dict[str, Any], target: ElevenLabsTarget, endpoints: Endpoints, ids: dict[str, str]
) -> dict[str, Any]:
    """The agent settings the memory service needs, given what the agent has now (its tools and events stay)."""
    platform = agent.get("platform_settings") or {}
    webhooks = (platform.get("workspace_overrides") or {}).get("webhooks") or {}
    events = [event for event in webhooks.get("events") or [] if event not in AUDIO_EVENTS]
    tool_ids = list(
        ((agent.get("conversation_config") or {}).get("agent") or {}).get("prompt", {}).get("tool_ids") or []
    )
    agent_switches: dict[str, Any] = {}
    if target.first_message:
        agent_switches["first_message"] = True
    if target.prompt:
        agent_switches["prompt"] = {"prompt": True}
    initiation = (platform.get("workspace_overrides") or {}).get("conversation_initiation_client_data_webhook") or {}
    headers: dict[str, Any] = {target.header: {"secret_id": ids["secret_id"]}}
    if not str(initiation.get("url") or "").rstrip("/").endswith(CLIENT_DATA):  # another service's: not its token
        headers.update({name: None for name in initiation.get("request_headers") or {} if name != target.header})
    overrides: dict[str, Any] = {"enable_conversation_initiation_client_data_from_webhook": True}
    if agent_switches:
        overrides["conversation_config_override"] = {"agent": agent_switches}
    return {
        "platform_settings": {
            "workspace_overrides": {
                "conversation_initiation_client_data_webhook": {
                    "url": endpoints.client_data,
                    "request_headers": headers,
                },
                "webhooks": post_call_settings(webhooks, events, ids["webhook_id"]),
            },
            "overrides": overrides,
        },
        "conversation_config": {
            "agent": {"prompt": {"tool_ids": tool_ids if ids["tool_id"] in tool_ids else [*tool_ids, ids["tool_id"]]}}
        },
    }


def post_call_settings(current: dict[str, Any], events: list[str], webhook_id: str) -> dict[str, Any]:
    """Our webhook with the events the service takes (the transcript; no audio) and the whole JSON transcript."""
    settings: dict[str, Any] = {
        "post_call_webhook_id": webhook_id,
        "events": events if POST_CALL_EVENT in events else [*events, POST_CALL_EVENT],
    }
    if current.get("transcript_format") not in (None, TRANSCRIPT_FORMAT):
        settings["transcript_format"] = TRANSCRIPT_FORMAT
    if current.get("exclude_transcript"):
        settings["exclude_transcript"] = False  # the caller's own words are what search finds
    if current.get("send_audio"):
        settings["send_audio"] = False  # the deprecated switch of the audio event
    return settings


def replaced(agent: dict[str, Any], endpoints: Endpoints, webhook_id: str) -> list[str]:
    """Notes for the webhooks of the agent's own that the wiring takes over (another service stops getting them)."""
    overrides = (agent.get("platform_settings") or {}).get("workspace_overrides") or {}
    notes = []
    initiation = (overrides.get("conversation_initiation_client_data_webhook") or {}).get("url")
    if initiation and initiation != endpoints.client_data:
        # its host only: a webhook URL may carry a token in its path or query, and notes are printed
        host = urlsplit(str(initiation)).hostname or "another service"
        notes.append(f"the agent's initiation webhook on {host} is replaced (--undo puts it back)")
    previous_hook = (overrides.get("webhooks") or {}).get("post_call_webhook_id")
    if previous_hook and previous_hook != webhook_id:
        notes.append(f"the agent's post-call webhook {previous_hook} is replaced (--undo puts it back)")
    dropped = sorted({e for e in (overrides.get("webhooks") or {}).get("events") or [] if e in AUDIO_EVENTS})
    if dropped:
        notes.append(f"post-call events {', '.join(dropped)} are no longer sent: the service refuses audio (413)")
    return notes


def _secret(client: PlatformApi, target: ElevenLabsTarget, state: dict[str, Any], out: Wired) -> str:
    name = f"agentic_memory_{target.agent_id}"[:64]
    value, mark = target.workspace_key.reveal(), fingerprint(target.workspace_key.reveal())
    secret_id = state.get("secret_id")
    if secret_id and client.get(f"/v1/convai/secrets/{secret_id}", missing_ok=True) is not None:
        if state.get("secret_fingerprint") != mark:
            client.call("PATCH", f"/v1/convai/secrets/{secret_id}", {"name": name, "value": value, "type": "update"})
            out.changes.append(f"secret {secret_id}: new value")
    else:
        made = client.call("POST", "/v1/convai/secrets", {"name": name, "value": value, "type": "new"})
        secret_id = made["secret_id"]
        out.changes.append(f"secret {secret_id}: created")
    out.state.update(secret_id=secret_id, secret_fingerprint=mark)
    return str(secret_id)


def _webhook(
    client: PlatformApi, target: ElevenLabsTarget, endpoints: Endpoints, state: dict[str, Any], out: Wired
) -> str:
    webhook_id = state.get("webhook_id")
    if webhook_id:
        listed = client.get("/v1/workspace/webhooks").get("webhooks") or []
        found = next((hook for hook in listed if hook.get("webhook_id") == webhook_id), None)
        if found is not None and found.get("webhook_url") == endpoints.post_call:
            if found.get("is_disabled"):
                client.call(
                    "PATCH", f"/v1/workspace/webhooks/{webhook_id}", {"is_disabled": False, "name": found["name"]}
                )
                out.changes.append(f"webhook {webhook_id}: enabled again")
            out.state["webhook_id"] = webhook_id
            return str(webhook_id)
        if found is not None:  # the URL cannot be changed in place: a new webhook, with a new secret
            client.call("DELETE", f"/v1/workspace/webhooks/{webhook_id}", missing_ok=True)
            out.changes.append(f"webhook {webhook_id}: deleted (URL changed)")
    settings = {
        "auth_type": "hmac",
        "name": f"agentic-memory {target.agent_id}"[:100],
        "webhook_url": endpoints.post_call,
    }
    made = client.call("POST", "/v1/workspace/webhooks", {"settings": settings})
    secret = made.get("webhook_secret")
    if not secret:
        raise WiringError("elevenlabs created the webhook but returned no signing secret; delete it and retry")
    out.generated["ELEVENLABS_HMAC_KEY"] = Secret(secret)
    out.changes.append(f"webhook {made['webhook_id']}: created (HMAC, {endpoints.post_call})")
    out.state["webhook_id"] = made["webhook_id"]
    return str(made["webhook_id"])


def _tool(
    client: PlatformApi, endpoints: Endpoints, secret_id: str, header: str, state: dict[str, Any], out: Wired
) -> str:
    desired = tool_config(endpoints, secret_id, header)
    tool_id = state.get("tool_id")
    current = client.get(f"/v1/convai/tools/{tool_id}", missing_ok=True) if tool_id else None
    if current is None:
        made = client.call("POST", "/v1/convai/tools", {"tool_config": desired})
        tool_id = made["id"]
        out.changes.append(f"tool {tool_id}: created ({TOOL_NAME} -> {endpoints.retrieve})")
    elif changes(current.get("tool_config") or {}, desired):
        client.call("PATCH", f"/v1/convai/tools/{tool_id}", {"tool_config": desired})
        out.changes.append(f"tool {tool_id}: updated")
    out.state["tool_id"] = tool_id
    return str(tool_id)


def wire(
    client: PlatformApi,
    target: ElevenLabsTarget,
    endpoints: Endpoints,
    state: dict[str, Any] | None = None,
    out: Wired | None = None,
) -> Wired:
    """Create or bring up to date everything; ``state`` is the previous run's (``None`` the first time); ``out``
    holds what is done so far, even when a call fails (``functions.wiring.apply`` rolls a first run back)."""
    state = dict(state or {})
    out = out if out is not None else Wired(state={})
    out.state.update(platform=PLATFORM, agent_id=target.agent_id, before=state.get("before") or {})
    agent_path = f"/v1/convai/agents/{target.agent_id}"
    agent = client.get(agent_path)  # first: a wrong agent id or key fails before anything is created
    ids = {
        "secret_id": _secret(client, target, state, out),
        "webhook_id": _webhook(client, target, endpoints, state, out),
    }
    ids["tool_id"] = _tool(client, endpoints, ids["secret_id"], target.header, state, out)
    patch = changes(agent, agent_settings(agent, target, endpoints, ids))
    if patch:
        client.call("PATCH", agent_path, patch)
        out.changes.extend(describe(target.label, patch))
        if not state.get("before"):
            out.notes.extend(f"{target.label}: {note}" for note in replaced(agent, endpoints, ids["webhook_id"]))
    out.state["before"] = keep_first(out.state["before"], previous(agent, patch))
    return out


def unwire(client: PlatformApi, state: dict[str, Any]) -> list[str]:
    """Put the agent's settings back as they were, then delete what the wiring created."""
    done: list[str] = []
    agent_id, before = state.get("agent_id"), dict(state.get("before") or {})
    if agent_id:
        agent = client.get(f"/v1/convai/agents/{agent_id}", missing_ok=True)
        if agent is not None:
            tool_ids = list(
                ((agent.get("conversation_config") or {}).get("agent") or {}).get("prompt", {}).get("tool_ids") or []
            )
            restore = dict(before)
            restore.pop("conversation_config", None)
            if state.get("tool_id") in tool_ids:
                tool_ids.remove(state["tool_id"])
                restore["conversation_config"] = {"agent": {"prompt": {"tool_ids": tool_ids}}}
            patch = changes(agent, restore)
            if patch:
                client.call("PATCH", f"/v1/convai/agents/{agent_id}", patch)
                done.extend(describe(f"agent {agent_id}", patch))
    if state.get("tool_id"):
        client.call("DELETE", f"/v1/convai/tools/{state['tool_id']}", missing_ok=True)
        done.append(f"tool {state['tool_id']}: deleted")
    if state.get("secret_id"):
        client.call("DELETE", f"/v1/convai/secrets/{state['secret_id']}", missing_ok=True)
        done.append(f"secret {state['secret_id']}: deleted")
    if state.get("webhook_id"):
        client.call("DELETE", f"/v1/workspace/webhooks/{state['webhook_id']}", missing_ok=True)
        done.append(f"webhook {state['webhook_id']}: deleted")
    return done


__all__ = ["API_URL", "ElevenLabsTarget", "agent_settings", "api", "target_from_props", "tool_config", "unwire", "wire"]
