"""Vapi and Retell events for tests: the reference payloads, made current and varied where a test needs it.

Shared by the provider tests and the HTTP tests; all values are invented (``+1555555xxxx`` numbers).
"""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime
from typing import Any

from shared.auth.retell import RetellSignature
from shared.secrets import Secret
from tests.conftest import CALLER, TEST_SECRETS, load_payload

VAPI_SECRET = TEST_SECRETS["VAPI_SECRET"]
VAPI_HEADERS = {"X-Vapi-Secret": VAPI_SECRET}
VAPI_BEARER = {"Authorization": f"Bearer {VAPI_SECRET}"}
NAME = "Dana Whitfield"
SUMMARY = "Dana called to move her cleaning to next week; prefers afternoon slots."
FACT = "My dog Biscuit has surgery on Monday, so not that day."


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def vapi_end_of_call(
    *,
    caller: str = CALLER,
    call_id: str = "vapi-call-0001",
    name: str | None = NAME,
    summary: str = SUMMARY,
    user_turns: tuple[str, ...] = ("I need to push it to next week.", FACT),
) -> dict[str, Any]:
    event = copy.deepcopy(load_payload("vapi_end_of_call_report"))
    message = event["message"]
    started = time.time() - 600
    message["startedAt"] = message["call"]["startedAt"] = _iso(started)
    message["timestamp"] = int((started + 100) * 1000)
    message["call"]["id"] = call_id
    message["call"]["customer"]["number"] = message["customer"]["number"] = caller
    message["analysis"]["summary"] = summary
    if name is not None:
        message["analysis"]["structuredData"]["caller_name"] = name
    turns: list[dict[str, Any]] = [{"role": "bot", "message": "Hi, how can I help?", "secondsFromStart": 1}]
    turns += [{"role": "user", "message": text, "secondsFromStart": 5 + i} for i, text in enumerate(user_turns)]
    turns.append({"role": "assistant", "message": "My name is Bot Agent, goodbye.", "secondsFromStart": 30})
    message["artifact"]["messages"] = turns
    return event


def vapi_assistant_request(caller: str = CALLER) -> dict[str, Any]:
    event = copy.deepcopy(load_payload("vapi_assistant_request"))
    event["message"]["timestamp"] = int(time.time() * 1000)
    event["message"]["call"]["customer"]["number"] = event["message"]["customer"]["number"] = caller
    return event


def vapi_tool_calls(query: str, *, caller: str = CALLER, call_id: str = "call_tool_0001") -> dict[str, Any]:
    event = copy.deepcopy(load_payload("vapi_tool_calls"))
    message = event["message"]
    message["call"]["customer"]["number"] = message["customer"]["number"] = caller
    call = {"id": call_id, "type": "function", "function": {"name": "recall_memory", "arguments": {"query": query}}}
    message["toolCallList"] = [call]
    message["toolWithToolCallList"][0]["toolCall"] = copy.deepcopy(call)
    return event


def retell_call_analyzed(
    *,
    caller: str = CALLER,
    call_id: str = "call_retell_0001",
    direction: str = "inbound",
    name: str | None = NAME,
    summary: str = SUMMARY,
    user_turns: tuple[str, ...] = ("I need to push it to next week.", FACT),
    event: str = "call_analyzed",
) -> dict[str, Any]:
    payload = copy.deepcopy(load_payload("retell_call_analyzed"))
    payload["event"] = event
    call = payload["call"]
    call["call_id"] = call_id
    call["direction"] = direction
    business = "+15555550100"
    call["from_number"], call["to_number"] = (caller, business) if direction == "inbound" else (business, caller)
    call["start_timestamp"] = int((time.time() - 600) * 1000)
    call["end_timestamp"] = call["start_timestamp"] + 96_433
    call["call_analysis"]["call_summary"] = summary
    if name is not None:
        call["call_analysis"]["custom_analysis_data"]["caller_name"] = name
    turns: list[dict[str, Any]] = [{"role": "agent", "content": "Hi, how can I help?", "words": []}]
    turns += [{"role": "user", "content": text, "words": []} for text in user_turns]
    turns.append({"role": "agent", "content": "I'm Bot Agent, goodbye.", "words": []})
    call["transcript_object"] = turns
    call["transcript_with_tool_calls"] = turns
    call["transcript"] = "\n".join(f"{t['role'].title()}: {t['content']}" for t in turns)
    if event != "call_analyzed":
        call.pop("call_analysis")
    return payload


def retell_call_inbound(caller: str = CALLER) -> dict[str, Any]:
    payload = copy.deepcopy(load_payload("retell_call_inbound"))
    payload["event_timestamp"] = int(time.time() * 1000)
    payload["call_inbound"]["from_number"] = caller
    return payload


def retell_function(query: str, *, caller: str = CALLER, direction: str = "inbound") -> dict[str, Any]:
    payload = copy.deepcopy(load_payload("retell_custom_function_request"))
    payload["args"] = {"query": query}
    call = payload["call"]
    call["direction"] = direction
    business = "+15555550100"
    call["from_number"], call["to_number"] = (caller, business) if direction == "inbound" else (business, caller)
    return payload


def sign_retell(body: bytes, *, key: str = TEST_SECRETS["RETELL_API_KEY"], at_ms: int | None = None) -> str:
    return RetellSignature(Secret(key)).sign(body, at_ms if at_ms is not None else int(time.time() * 1000))


def retell_signed(payload: dict[str, Any] | bytes, **sign: Any) -> tuple[bytes, dict[str, str]]:
    """The exact bytes to send and the headers Retell would send with them."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return body, {"X-Retell-Signature": sign_retell(body, **sign), "Content-Type": "application/json"}
