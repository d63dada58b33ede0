"""Retell: the agent's webhook URL (``/post-call``; published again if the agent was), the Retell LLM's custom
function (``/retrieve``) and, when a number is given, its inbound webhook (``/client-data``).

REST paths and bodies are those of the official SDK (retell-sdk 6.2: ``agent.retrieve/update/publish``,
``llm.retrieve/update``, ``phone_number.retrieve/update``). Retell signs every request with the API key, so
no secret header is configured. An agent on a conversation flow has no Retell LLM: its custom function is
left to the flow editor and said so in the notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from functions.wiring.api import PlatformApi, WiringError
from functions.wiring.model import QUERY_DESCRIPTION, TOOL_DESCRIPTION, TOOL_NAME, Endpoints, Wired, changes, keep_first
from shared.identity import mask as mask_phone
from shared.secrets import Secret

API_URL = "https://api.retellai.com"
PLATFORM = "retell"
CALL_ANALYZED = "call_analyzed"
TOOL_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class RetellTarget:
    agent_id: str
    phone_number: str | None = None


def target_from_props(props: dict[str, Any]) -> RetellTarget:
    return RetellTarget(props["agent_id"], props.get("phone_number") or None)


def api(api_key: Secret, api_url: str = API_URL, **kwargs: Any) -> PlatformApi:
    return PlatformApi(PLATFORM, api_url, {"Authorization": f"Bearer {api_key.reveal()}"}, **kwargs)


def custom_tool(endpoints: Endpoints) -> dict[str, Any]:
    """The custom function: the model fills ``query``; the caller comes in the signed ``call`` object, which "Payload:
    args only" (``args_at_root``) leaves out (the service then refuses every call, 422): so it is set off."""
    return {
        "type": "custom",
        "name": TOOL_NAME,
        "description": TOOL_DESCRIPTION,
        "url": endpoints.retrieve,
        "method": "POST",
        "args_at_root": False,
        "parameters": {
            "type": "object",
            "properties": {"query": {"type": "string", "description": QUERY_DESCRIPTION}},
            "required": ["query"],
        },
        "speak_during_execution": False,
        "speak_after_execution": True,
        "timeout_ms": TOOL_TIMEOUT_MS,
    }


def with_tool(tools: list[dict[str, Any]], tool: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The LLM's tools with ours in place of an earlier one of the same name, else last (``None``: without it)."""
    if tool is None:
        return [item for item in tools if item.get("name") != TOOL_NAME]
    if any(item.get("name") == TOOL_NAME for item in tools):
        return [tool if item.get("name") == TOOL_NAME else item for item in tools]
    return [*tools, tool]


def current_tool(tools: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((item for item in tools if item.get("name") == TOOL_NAME), None)


def agent_settings(agent: dict[str, Any], endpoints: Endpoints) -> dict[str, Any]:
    desired: dict[str, Any] = {"webhook_url": endpoints.post_call}
    events = agent.get("webhook_events")
    if isinstance(events, list) and CALL_ANALYZED not in events:
        desired["webhook_events"] = [*events, CALL_ANALYZED]
    return desired


def _update_agent(client: PlatformApi, agent: dict[str, Any], patch: dict[str, Any], out: list[str]) -> None:
    agent_id = agent["agent_id"]
    updated = client.call("PATCH", f"/update-agent/{agent_id}", patch)
    out.extend(f"agent {agent_id}: set {key}" for key in patch)
    if agent.get("is_published") and not (updated or {}).get("is_published", False):
        version = (updated or {}).get("version", agent.get("version"))
        client.call("POST", f"/publish-agent-version/{agent_id}", {"version": version})
        out.append(f"agent {agent_id}: published version {version}")


def _llm_id(agent: dict[str, Any]) -> str | None:
    engine = agent.get("response_engine") or {}
    return engine.get("llm_id") if engine.get("type") == "retell-llm" else None


def wire(
    client: PlatformApi,
    target: RetellTarget,
    endpoints: Endpoints,
    state: dict[str, Any] | None = None,
    out: Wired | None = None,
) -> Wired:
    state = dict(state or {})
    if state and state.get("phone_number") != target.phone_number:  # the undo restores the number it recorded
        wired_with = mask_phone(state["phone_number"]) if state.get("phone_number") else "no number"
        raise WiringError(
            f"agent {target.agent_id} was wired with {wired_with}: run with --undo first to wire it with "
            f"{mask_phone(target.phone_number) if target.phone_number else 'no number'}"
        )
    before = dict(state.get("before") or {})
    out = out if out is not None else Wired(state={})
    out.state.update(platform=PLATFORM, agent_id=target.agent_id, phone_number=target.phone_number, before=before)
    agent = client.get(f"/get-agent/{target.agent_id}")
    number_path = f"/get-phone-number/{quote(target.phone_number, safe='+')}" if target.phone_number else None
    number = client.get(number_path) if number_path else None

    llm_id = _llm_id(agent)
    if llm_id is None:
        out.notes.append(f"agent {target.agent_id} has no Retell LLM: add the {TOOL_NAME} function in its flow by hand")
    else:
        llm = client.get(f"/get-retell-llm/{llm_id}")
        tools = list(llm.get("general_tools") or [])
        desired_tool, present = custom_tool(endpoints), current_tool(tools)
        if present is not None and "llm_id" not in state:  # a function of that name from before: the undo's
            before["llm_tool"] = present
            out.notes.append(f"retell llm {llm_id}: its own {TOOL_NAME} function is replaced (--undo puts it back)")
        if present is None or changes(present, desired_tool):
            client.call("PATCH", f"/update-retell-llm/{llm_id}", {"general_tools": with_tool(tools, desired_tool)})
            out.changes.append(f"retell llm {llm_id}: {TOOL_NAME} -> {endpoints.retrieve}")
        out.state["llm_id"] = llm_id

    desired = agent_settings(agent, endpoints)
    patch = {key: value for key, value in desired.items() if agent.get(key) != value}
    if patch:
        _update_agent(client, agent, patch, out.changes)
    before["agent"] = keep_first(before.get("agent") or {}, {key: agent.get(key) for key in patch})

    if number is not None and target.phone_number and number.get("inbound_webhook_url") != endpoints.client_data:
        client.call(
            "PATCH",
            f"/update-phone-number/{quote(target.phone_number, safe='+')}",
            {"inbound_webhook_url": endpoints.client_data},
        )
        out.changes.append(f"phone number {mask_phone(target.phone_number)}: set inbound_webhook_url")
        before["phone_number"] = keep_first(
            before.get("phone_number") or {}, {"inbound_webhook_url": number.get("inbound_webhook_url")}
        )
    out.state["before"] = before
    return out


def unwire(client: PlatformApi, state: dict[str, Any]) -> list[str]:
    done: list[str] = []
    before = state.get("before") or {}
    agent_id, number = state.get("agent_id"), state.get("phone_number")
    if number and before.get("phone_number"):
        path = quote(number, safe="+")
        current = client.get(f"/get-phone-number/{path}", missing_ok=True)
        restore = before["phone_number"]
        if current is not None and any(current.get(key) != value for key, value in restore.items()):
            client.call("PATCH", f"/update-phone-number/{path}", restore)
            done.append(f"phone number {mask_phone(number)}: restored inbound_webhook_url")
    if state.get("llm_id"):
        llm = client.get(f"/get-retell-llm/{state['llm_id']}", missing_ok=True)
        if llm is not None:
            tools = list(llm.get("general_tools") or [])
            earlier = before.get("llm_tool")
            kept = with_tool(tools, earlier) if earlier and current_tool(tools) else with_tool(tools, None)
            if kept != tools:
                client.call("PATCH", f"/update-retell-llm/{state['llm_id']}", {"general_tools": kept})
                done.append(f"retell llm {state['llm_id']}: {TOOL_NAME} " + ("restored" if earlier else "removed"))
    if agent_id and before.get("agent"):
        agent = client.get(f"/get-agent/{agent_id}", missing_ok=True)
        if agent is not None:
            patch = {key: value for key, value in before["agent"].items() if agent.get(key) != value}
            if patch:
                _update_agent(client, agent, patch, done)
    return done


__all__ = ["API_URL", "RetellTarget", "agent_settings", "api", "custom_tool", "target_from_props", "unwire", "wire"]
