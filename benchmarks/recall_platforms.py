"""One recall set's calls and questions on each platform's own wire format, for ``bench_recall.py --platform``.

The same call becomes an ElevenLabs ``post_call_transcription``, a Vapi ``end-of-call-report`` or a Retell
``call_analyzed`` event, signed or keyed as that platform does; the pre-call and the in-call search are asked the way
that platform asks them (ElevenLabs' initiation webhook and server tool, Vapi's ``assistant-request`` and
``tool-calls``, Retell's ``call_inbound`` and custom function), and the answers are read back from that platform's
shape. A platform that stored or answered differently would show as different figures for the same set.
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from shared.auth.elevenlabs import ElevenLabsSignature
from shared.auth.retell import RetellSignature
from shared.secrets import Secret

AGENT_NUMBER = "+15555550100"
Request = tuple[bytes, dict[str, str]]


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value).encode()


def _started(call: dict[str, Any], now: float) -> float:
    return now - float(call["days_ago"]) * 86_400


def _texts(answer: Any) -> list[str]:
    """The memories' texts of a ``{"memories": [{"text"}...]}`` answer; an unknown caller's plain text is none."""
    if isinstance(answer, str):
        try:
            answer = json.loads(answer)
        except ValueError:
            return []
    memories = answer.get("memories") if isinstance(answer, dict) else None
    return [str(m["text"]) for m in memories or []]


class Platform:
    """How one platform sends a call's events and reads our answers; one instance per benchmark run."""

    name = ""
    agent_type = ""
    secret_names: tuple[str, ...] = ()  # the environment serve reads them from; fresh values each run

    def __init__(self) -> None:
        self.keys = {name: secrets.token_urlsafe(24) for name in self.secret_names}

    def post_call(self, caller: str, index: int, call: dict[str, Any], now: float) -> Request:
        raise NotImplementedError

    def pre_call(self, caller: str) -> Request:
        raise NotImplementedError

    def pre_call_answer(self, answer: dict[str, Any]) -> tuple[dict[str, str], str]:
        """The dynamic variables and the first message."""
        raise NotImplementedError

    def ask(self, caller: str, query: str) -> Request:
        raise NotImplementedError

    def found(self, answer: dict[str, Any]) -> list[str]:
        raise NotImplementedError


class ElevenLabs(Platform):
    name = "elevenlabs"
    agent_type = "elevenlabs_customer_support"
    secret_names = ("ELEVENLABS_WORKSPACE_KEY", "ELEVENLABS_HMAC_KEY", "ADMIN_API_KEY")

    def _workspace(self) -> dict[str, str]:
        return {"x-workspace-key": self.keys["ELEVENLABS_WORKSPACE_KEY"], "content-type": "application/json"}

    def post_call(self, caller: str, index: int, call: dict[str, Any], now: float) -> Request:
        started = int(_started(call, now))
        transcript: list[dict[str, Any]] = []
        for second, turn in enumerate(call.get("turns") or []):
            transcript.append({"role": "agent", "message": "Okay, go on.", "time_in_call_secs": second * 10})
            transcript.append({"role": "user", "message": turn, "time_in_call_secs": second * 10 + 4})
        collected = {
            name: {
                "data_collection_id": name,
                "value": str(value),
                "json_schema": {"type": "string"},
                "rationale": "Said.",
            }
            for name, value in (call.get("fields") or {}).items()
        }
        body = _json(
            {
                "type": "post_call_transcription",
                "event_timestamp": started + 300,
                "data": {
                    "agent_id": "agent_recall_0001",
                    "conversation_id": f"conv_recall_{caller[-4:]}_{index}",
                    "status": "done",
                    "transcript": transcript,
                    "metadata": {
                        "start_time_unix_secs": started,
                        "call_duration_secs": 240,
                        "phone_call": {
                            "type": "twilio",
                            "direction": "inbound",
                            "agent_number": AGENT_NUMBER,
                            "external_number": caller,
                        },
                    },
                    "analysis": {
                        "call_successful": "success",
                        "transcript_summary": call["summary"],
                        "data_collection_results": collected,
                    },
                    "conversation_initiation_client_data": {"dynamic_variables": {"system__caller_id": caller}},
                },
            }
        )
        signer = ElevenLabsSignature(Secret(self.keys["ELEVENLABS_HMAC_KEY"]))
        return body, {"elevenlabs-signature": signer.sign(body, int(time.time())), "content-type": "application/json"}

    def pre_call(self, caller: str) -> Request:
        return _json({"caller_id": caller, "agent_id": "agent_recall_0001"}), self._workspace()

    def pre_call_answer(self, answer: dict[str, Any]) -> tuple[dict[str, str], str]:
        greeting = answer.get("conversation_config_override", {}).get("agent", {}).get("first_message", "")
        return answer["dynamic_variables"], greeting

    def ask(self, caller: str, query: str) -> Request:
        return _json({"query": query, "caller_id": caller}), self._workspace()

    def found(self, answer: dict[str, Any]) -> list[str]:
        return _texts(answer)


class Vapi(Platform):
    """One server URL per route; the secret in ``X-Vapi-Secret`` as the assistant's server credential sends it."""

    name = "vapi"
    agent_type = "vapi_receptionist"
    secret_names = ("VAPI_SECRET", "ADMIN_API_KEY")

    def _headers(self) -> dict[str, str]:
        return {"X-Vapi-Secret": self.keys["VAPI_SECRET"], "content-type": "application/json"}

    @staticmethod
    def _call(caller: str, call_id: str, status: str, started: float) -> dict[str, Any]:
        return {
            "id": call_id,
            "orgId": "6d3f0c2a-8b1e-4c7d-9a5f-2e4b6c8d0f1a",
            "type": "inboundPhoneCall",
            "status": status,
            "phoneCallProvider": "twilio",
            "phoneCallTransport": "pstn",
            "customer": {"number": caller},
            "startedAt": _iso(started),
            "assistantId": "3a5c7e9b-0d2f-4b6d-8f1a-3c5e7a9b1d3f",
        }

    def post_call(self, caller: str, index: int, call: dict[str, Any], now: float) -> Request:
        started = _started(call, now)
        messages: list[dict[str, Any]] = [{"role": "system", "message": "You are the front desk.", "time": 0}]
        for second, turn in enumerate(call.get("turns") or []):
            messages.append({"role": "bot", "message": "Okay, go on.", "secondsFromStart": second * 10})
            messages.append({"role": "user", "message": turn, "secondsFromStart": second * 10 + 4})
        transcript = "\n".join(f"{'AI' if m['role'] == 'bot' else 'User'}: {m['message']}" for m in messages[1:])
        message = {
            "type": "end-of-call-report",
            "timestamp": int((started + 300) * 1000),
            "endedReason": "customer-ended-call",
            "startedAt": _iso(started),
            "endedAt": _iso(started + 240),
            "artifact": {"messages": messages, "transcript": transcript},
            "analysis": {
                "summary": call["summary"],
                "structuredData": {name: str(value) for name, value in (call.get("fields") or {}).items()},
                "successEvaluation": "true",
            },
            "call": self._call(caller, f"vapi-recall-{caller[-4:]}-{index}", "ended", started),
            "customer": {"number": caller},
            "phoneNumber": {"provider": "twilio", "number": AGENT_NUMBER},
        }
        return _json({"message": message}), self._headers()

    def pre_call(self, caller: str) -> Request:
        now = time.time()
        message = {
            "type": "assistant-request",
            "timestamp": int(now * 1000),
            "call": self._call(caller, f"vapi-recall-pre-{caller[-4:]}", "ringing", now),
            "customer": {"number": caller},
            "phoneNumber": {"provider": "twilio", "number": AGENT_NUMBER},
        }
        return _json({"message": message}), self._headers()

    def pre_call_answer(self, answer: dict[str, Any]) -> tuple[dict[str, str], str]:
        overrides = answer["assistantOverrides"]
        return overrides["variableValues"], overrides.get("firstMessage", "")

    def ask(self, caller: str, query: str) -> Request:
        now = time.time()
        tool_call = {
            "id": "call_recall_0001",
            "type": "function",
            "function": {"name": "recall_memory", "arguments": {"query": query}},
        }
        message = {
            "type": "tool-calls",
            "timestamp": int(now * 1000),
            "toolCallList": [tool_call],
            "call": self._call(caller, f"vapi-recall-ask-{caller[-4:]}", "in-progress", now),
            "customer": {"number": caller},
            "phoneNumber": {"provider": "twilio", "number": AGENT_NUMBER},
        }
        return _json({"message": message}), self._headers()

    def found(self, answer: dict[str, Any]) -> list[str]:
        return _texts(answer["results"][0]["result"])


class Retell(Platform):
    """Every webhook and custom function signed with the API key (``X-Retell-Signature``), as Retell does."""

    name = "retell"
    agent_type = "retell_appointments"
    secret_names = ("RETELL_API_KEY", "ADMIN_API_KEY")

    def _signed(self, value: dict[str, Any]) -> Request:
        body = _json(value)
        signature = RetellSignature(Secret(self.keys["RETELL_API_KEY"])).sign(body, int(time.time() * 1000))
        return body, {"X-Retell-Signature": signature, "content-type": "application/json"}

    @staticmethod
    def _call(caller: str, call_id: str, status: str, started: float) -> dict[str, Any]:
        return {
            "call_type": "phone_call",
            "from_number": caller,
            "to_number": AGENT_NUMBER,
            "direction": "inbound",
            "call_id": call_id,
            "agent_id": "agent_8c2e5a1f9d3b7e4a6c0f2d8b1e",
            "agent_version": 3,
            "call_status": status,
            "start_timestamp": int(started * 1000),
            "data_storage_setting": "everything",
        }

    def post_call(self, caller: str, index: int, call: dict[str, Any], now: float) -> Request:
        started = _started(call, now)
        turns: list[dict[str, Any]] = []
        for turn in call.get("turns") or []:
            turns.append({"role": "agent", "content": "Okay, go on.", "words": []})
            turns.append({"role": "user", "content": turn, "words": []})
        body = {
            "event": "call_analyzed",
            "call": {
                **self._call(caller, f"call_recall_{caller[-4:]}_{index}", "ended", started),
                "end_timestamp": int((started + 240) * 1000),
                "duration_ms": 240_000,
                "disconnection_reason": "user_hangup",
                "transcript": "\n".join(f"{t['role'].title()}: {t['content']}" for t in turns),
                "transcript_object": turns,
                "transcript_with_tool_calls": turns,
                "call_analysis": {
                    "call_summary": call["summary"],
                    "user_sentiment": "Neutral",
                    "call_successful": True,
                    "in_voicemail": False,
                    "custom_analysis_data": {name: str(value) for name, value in (call.get("fields") or {}).items()},
                },
            },
        }
        return self._signed(body)

    def pre_call(self, caller: str) -> Request:
        inbound = {
            "agent_id": "agent_8c2e5a1f9d3b7e4a6c0f2d8b1e",
            "agent_version": 3,
            "from_number": caller,
            "to_number": AGENT_NUMBER,
        }
        return self._signed(
            {"event": "call_inbound", "event_timestamp": int(time.time() * 1000), "call_inbound": inbound}
        )

    def pre_call_answer(self, answer: dict[str, Any]) -> tuple[dict[str, str], str]:
        variables = answer["call_inbound"]["dynamic_variables"]
        return variables, variables.get("first_message", "")

    def ask(self, caller: str, query: str) -> Request:
        call = self._call(caller, f"call_recall_ask_{caller[-4:]}", "ongoing", time.time())
        return self._signed({"name": "recall_memory", "args": {"query": query}, "call": call})

    def found(self, answer: dict[str, Any]) -> list[str]:
        return _texts(answer)


PLATFORMS: dict[str, type[Platform]] = {p.name: p for p in (ElevenLabs, Vapi, Retell)}
