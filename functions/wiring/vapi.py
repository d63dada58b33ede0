"""Vapi: the phone number's server (``assistant-request`` reaches ``/client-data``), the memory function tool on
``/retrieve``, and, for a given assistant, its server (``/post-call``), ``end-of-call-report`` and the tool.

REST paths and bodies are those of the official SDK (vapi-server-sdk 3.0: ``phone_numbers.update``,
``tools.create/update``, ``assistants.update``). The secret travels as the static ``X-Vapi-Secret`` header of
each ``Server`` (vapi-server-sdk has no credentials client, and ``/credential`` is not in the public API).
Vapi replaces a nested object it is sent, so each changed top-level field is sent whole, merged with what
the platform has. ``assistant-request`` is only sent for a number with no assistant, squad or workflow of its
own: those are cleared (and put back by the undo); the pre-call answer names the agent type's assistant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from functions.wiring.api import PlatformApi, WiringError
from functions.wiring.model import (
    CLIENT_DATA,
    POST_CALL,
    QUERY_DESCRIPTION,
    RETRIEVE,
    TOOL_DESCRIPTION,
    TOOL_NAME,
    Endpoints,
    Wired,
)
from shared.secrets import Secret

API_URL = "https://api.vapi.ai"
PLATFORM = "vapi"
HEADER = "X-Vapi-Secret"
END_OF_CALL = "end-of-call-report"
# Vapi's default assistant.serverMessages (openapi ``serverMessages`` default): kept when we add ours.
DEFAULT_SERVER_MESSAGES = (
    "conversation-update",
    "end-of-call-report",
    "function-call",
    "hang",
    "speech-update",
    "status-update",
    "tool-calls",
    "transfer-destination-request",
    "handoff-destination-request",
    "user-interrupted",
    "assistant.started",
)
ROUTING_FIELDS = ("assistantId", "squadId", "workflowId")
WEBHOOK_PATHS = (CLIENT_DATA, RETRIEVE, POST_CALL)
# Another service's credential on its server (Vapi sends it as that credential's token or signature) and the body
# paths that credential encrypts: neither goes to ours (the undo puts the whole server back).
FOREIGN_SERVER_FIELDS = ("credentialId", "encryptedPaths")


@dataclass(frozen=True)
class VapiTarget:
    """The number (and assistant) to wire; ``answer_assistant_id`` is the assistant the service's pre-call answer
    names (the agent type's ``response.assistant_id``), which the calls of the number will run, checked when given."""

    phone_number_id: str
    secret: Secret
    assistant_id: str | None = None
    answer_assistant_id: str | None = None
    header: str = HEADER  # the header the agent type's credential is read from


def target_from_props(props: dict[str, Any]) -> VapiTarget:
    return VapiTarget(
        props["phone_number_id"],
        Secret(props["secret"]),
        props.get("assistant_id") or None,
        props.get("answer_assistant_id") or None,
        props.get("header") or HEADER,
    )


def check_answer(client: PlatformApi, target: VapiTarget) -> None:
    """The number's own assistant is cleared, so its calls run the assistant the pre-call answer names: it must be the
    one wired (``--assistant-id``) and exist, else every call to the number fails or runs without the memory tool."""
    answer = target.answer_assistant_id
    if answer is None:
        return
    if target.assistant_id and target.assistant_id != answer:
        raise WiringError(
            f"the service answers assistant-request with assistant {answer} (the agent type's response.assistant_id), "
            f"so calls would never run assistant {target.assistant_id}: wire {answer}, or set response.assistant_id "
            f"to {target.assistant_id} first"
        )
    if not target.assistant_id and client.get(f"/assistant/{answer}", missing_ok=True) is None:
        raise WiringError(
            f"the service answers assistant-request with assistant {answer} (the agent type's response.assistant_id), "
            "which this Vapi account does not have: every call to the number would fail; put your saved assistant's "
            "id in response.assistant_id first"
        )


def api(api_key: Secret, api_url: str = API_URL, **kwargs: Any) -> PlatformApi:
    return PlatformApi(PLATFORM, api_url, {"Authorization": f"Bearer {api_key.reveal()}"}, **kwargs)


def server(current: Any, url: str, secret: Secret, header: str = HEADER) -> dict[str, Any]:
    """Our URL and header on top of whatever else the server object has (timeout, backoff plan). Headers added for
    one of our webhooks (a gateway's) are kept; another service's (its token) are not sent to ours: the undo puts
    them back with its server."""
    base = dict(current) if isinstance(current, dict) else {}
    ours = str(base.get("url") or "").rstrip("/").endswith(WEBHOOK_PATHS)
    if not ours:
        base = {key: value for key, value in base.items() if key not in FOREIGN_SERVER_FIELDS}
    headers = dict(base.get("headers") or {}) if ours else {}
    headers[header] = secret.reveal()
    return {**base, "url": url, "headers": headers}


def foreign_host(current: Any) -> str | None:
    """The host of a server URL that is another service's (not one of our webhooks), for a note; else ``None``."""
    url = str((current or {}).get("url") or "") if isinstance(current, dict) else ""
    if not url or url.rstrip("/").endswith(WEBHOOK_PATHS):
        return None
    return urlsplit(url).hostname or "another service"


def replaced_note(host: str) -> str:
    return f"its server on {host} is replaced: that service gets no more messages (--undo puts it back)"


def tool_body(
    endpoints: Endpoints, secret: Secret, current: dict[str, Any] | None = None, header: str = HEADER
) -> dict[str, Any]:
    function = {
        "name": TOOL_NAME,
        "description": TOOL_DESCRIPTION,
        "parameters": {
            "type": "object",
            "properties": {"query": {"type": "string", "description": QUERY_DESCRIPTION}},
            "required": ["query"],
        },
    }
    return {
        "type": "function",
        "function": function,
        "server": server((current or {}).get("server"), endpoints.retrieve, secret, header),
    }


def top_level_patch(current: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in desired.items() if current.get(key) != value}


def keep_first_fields(before: dict[str, Any], had: dict[str, Any]) -> dict[str, Any]:
    """The fields as they were before the first run: Vapi fields are replaced whole, so a field already kept is kept
    whole. A later run's value is ours (our URL, our secret header): merged in, the undo would hand the service's
    secret to the server that was there before, and the state file would hold it."""
    return {**had, **before}


def _tool(client: PlatformApi, endpoints: Endpoints, target: VapiTarget, state: dict[str, Any], out: Wired) -> str:
    tool_id = state.get("tool_id")
    current = client.get(f"/tool/{tool_id}", missing_ok=True) if tool_id else None
    if current is None:
        made = client.call("POST", "/tool", tool_body(endpoints, target.secret, header=target.header))
        tool_id = made["id"]
        out.changes.append(f"tool {tool_id}: created ({TOOL_NAME} -> {endpoints.retrieve})")
    else:
        patch = top_level_patch(current, tool_body(endpoints, target.secret, current, target.header))
        if patch:
            client.call("PATCH", f"/tool/{tool_id}", {"type": current.get("type", "function"), **patch})
            out.changes.extend(f"tool {tool_id}: set {key}" for key in patch if key != "type")
    out.state["tool_id"] = tool_id
    return str(tool_id)


def _patch(
    client: PlatformApi,
    path: str,
    label: str,
    current: dict[str, Any],
    desired: dict[str, Any],
    out: Wired,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    patch = top_level_patch(current, desired)
    if patch:
        client.call("PATCH", path, {**(extra or {}), **patch})
        out.changes.extend(f"{label}: set {key}" for key in patch)
    return {key: current.get(key) for key in patch}


def phone_settings(number: dict[str, Any], endpoints: Endpoints, target: VapiTarget) -> dict[str, Any]:
    ours = server(number.get("server"), endpoints.client_data, target.secret, target.header)
    desired: dict[str, Any] = {"server": ours}
    desired.update({field: None for field in ROUTING_FIELDS if number.get(field)})
    return desired


def assistant_settings(
    assistant: dict[str, Any], endpoints: Endpoints, target: VapiTarget, tool_id: str
) -> dict[str, Any]:
    messages = list(assistant.get("serverMessages") or DEFAULT_SERVER_MESSAGES)
    desired: dict[str, Any] = {
        "server": server(assistant.get("server"), endpoints.post_call, target.secret, target.header),
        "serverMessages": messages if END_OF_CALL in messages else [*messages, END_OF_CALL],
    }
    model = assistant.get("model")
    if isinstance(model, dict):
        tool_ids = list(model.get("toolIds") or [])
        desired["model"] = {**model, "toolIds": tool_ids if tool_id in tool_ids else [*tool_ids, tool_id]}
    return desired


def wire(
    client: PlatformApi,
    target: VapiTarget,
    endpoints: Endpoints,
    state: dict[str, Any] | None = None,
    out: Wired | None = None,
) -> Wired:
    state = dict(state or {})
    if state and state.get("assistant_id") != target.assistant_id:  # the undo restores the assistant it recorded
        raise WiringError(
            f"phone number {target.phone_number_id} was wired with assistant {state.get('assistant_id') or '(none)'}: "
            f"run with --undo first to wire it with {target.assistant_id or 'no assistant'}"
        )
    before = dict(state.get("before") or {})
    out = out if out is not None else Wired(state={})
    out.state.update(
        platform=PLATFORM, phone_number_id=target.phone_number_id, assistant_id=target.assistant_id, before=before
    )
    number_path = f"/phone-number/{target.phone_number_id}"
    number = client.get(number_path)
    check_answer(client, target)
    assistant_path = f"/assistant/{target.assistant_id}" if target.assistant_id else None
    assistant = client.get(assistant_path) if assistant_path else None  # a missing one: the platform's 404
    tool_id = _tool(client, endpoints, target, state, out)
    label = f"phone number {target.phone_number_id}"
    had = _patch(
        client,
        number_path,
        label,
        number,
        phone_settings(number, endpoints, target),
        out,
        {"provider": number.get("provider")} if number.get("provider") else None,
    )
    if had and any(number.get(field) for field in ROUTING_FIELDS):
        out.notes.append(
            f"{label}: its own assistant/squad/workflow was cleared so that assistant-request reaches the service"
        )
    if "server" in had and (host := foreign_host(number.get("server"))):
        out.notes.append(
            f"{label}: its server on {host} is replaced, that service gets no more messages (--undo puts it back)"
        )
    before["phone_number"] = keep_first_fields(before.get("phone_number") or {}, had)
    if assistant is not None and assistant_path:
        had = _patch(
            client,
            assistant_path,
            f"assistant {target.assistant_id}",
            assistant,
            assistant_settings(assistant, endpoints, target, tool_id),
            out,
        )
        if "server" in had and (host := foreign_host(assistant.get("server"))):
            out.notes.append(f"assistant {target.assistant_id}: {replaced_note(host)}")
        had.pop("model", None)  # the undo takes our tool id out of the list instead of restoring an old model
        before["assistant"] = keep_first_fields(before.get("assistant") or {}, had)
    elif not state:
        out.notes.append(
            f"tool {tool_id}: on no assistant yet, so no call can search memories: add it to the assistant's tools, "
            "or connect again with --assistant-id"
        )
    out.state["before"] = before
    return out


def unwire(client: PlatformApi, state: dict[str, Any]) -> list[str]:
    done: list[str] = []
    before = state.get("before") or {}
    tool_id = state.get("tool_id")
    if state.get("assistant_id"):
        path = f"/assistant/{state['assistant_id']}"
        assistant = client.get(path, missing_ok=True)
        if assistant is not None:
            restore = dict(before.get("assistant") or {})
            model = assistant.get("model")
            if isinstance(model, dict) and tool_id in (model.get("toolIds") or []):
                restore["model"] = {**model, "toolIds": [item for item in model["toolIds"] if item != tool_id]}
            patch = top_level_patch(assistant, restore)
            if patch:
                client.call("PATCH", path, patch)
                done.extend(f"assistant {state['assistant_id']}: restored {key}" for key in patch)
    if state.get("phone_number_id"):
        path = f"/phone-number/{state['phone_number_id']}"
        number = client.get(path, missing_ok=True)
        if number is not None:
            patch = top_level_patch(number, dict(before.get("phone_number") or {}))
            if patch:
                extra = {"provider": number["provider"]} if number.get("provider") else {}
                client.call("PATCH", path, {**extra, **patch})
                done.extend(f"phone number {state['phone_number_id']}: restored {key}" for key in patch)
    if tool_id:
        client.call("DELETE", f"/tool/{tool_id}", missing_ok=True)
        done.append(f"tool {tool_id}: deleted")
    return done


__all__ = [
    "API_URL",
    "VapiTarget",
    "api",
    "assistant_settings",
    "check_answer",
    "phone_settings",
    "target_from_props",
    "tool_body",
    "unwire",
    "wire",
]
