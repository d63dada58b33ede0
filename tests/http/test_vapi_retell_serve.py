"""Issue 3's Must show 1 (and the signature rejections of 2) over real HTTP against ``agentic-memory serve``
running the shipped Vapi and Retell example agent types in a subprocess."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.conftest import CALLER, TEST_SECRETS
from tests.providers.events import (
    FACT,
    NAME,
    SUMMARY,
    VAPI_BEARER,
    VAPI_HEADERS,
    retell_call_analyzed,
    retell_call_inbound,
    retell_function,
    retell_signed,
    sign_retell,
    vapi_assistant_request,
    vapi_end_of_call,
    vapi_tool_calls,
)

ADMIN = {"X-Admin-Key": TEST_SECRETS["ADMIN_API_KEY"]}


def wait_remembered(served: Any, http: Any) -> None:
    def remembered() -> bool:
        listing = http.get(f"/admin/users/{CALLER}/memories", headers=ADMIN)
        return listing.status_code == 200 and listing.json()["count"] > 0

    served.wait_for(remembered)


def test_vapi_example_remembers_the_caller_over_http(serve: Any) -> None:
    served = serve("vapi_receptionist")
    with served.client() as http:
        ack = http.post("/post-call", json=vapi_end_of_call(), headers=VAPI_HEADERS)
        assert ack.status_code == 200 and ack.json() == {"status": "queued"}
        wait_remembered(served, http)

        answer = http.post("/client-data", json=vapi_assistant_request("+1 (555) 555-0123"), headers=VAPI_BEARER)
        assert answer.status_code == 200
        data = answer.json()
        assert data["assistantId"] == "00000000-0000-4000-8000-000000000000"
        variables = data["assistantOverrides"]["variableValues"]
        assert variables["caller_name"] == NAME
        assert variables["memory_summary"] == SUMMARY
        assert SUMMARY in variables["memory_context"]
        assert f"Hello {NAME.split()[0]}!" in data["assistantOverrides"]["firstMessage"]
        assert data["assistantOverrides"]["metadata"] == {"memory_user_id": CALLER}

        tool = http.post("/retrieve", json=vapi_tool_calls("when is the dog's surgery"), headers=VAPI_HEADERS)
        assert tool.status_code == 200
        [result] = tool.json()["results"]
        assert result["toolCallId"] == "call_tool_0001" and result["name"] == "recall_memory"
        assert isinstance(result["result"], str)
        assert any(FACT in memory["text"] for memory in json.loads(result["result"])["memories"])

        other = http.post("/post-call", json={"message": {"type": "status-update", "status": "ended"}},
                          headers=VAPI_HEADERS)  # fmt: skip
        assert other.status_code == 200 and other.json() == {"status": "ignored"}
        assert (
            http.post("/client-data", json=vapi_assistant_request(), headers={"X-Vapi-Secret": "no"}).status_code == 401
        )


def test_vapi_one_server_url_for_every_message_over_http(serve: Any) -> None:
    served = serve("vapi_receptionist")
    with served.client() as http:
        assert http.post("/client-data", json=vapi_end_of_call(), headers=VAPI_HEADERS).json()["status"] == "queued"
        wait_remembered(served, http)
        answer = http.post("/client-data", json=vapi_assistant_request(), headers=VAPI_HEADERS).json()
        assert answer["assistantOverrides"]["variableValues"]["caller_name"] == NAME
        tool = http.post("/client-data", json=vapi_tool_calls("Biscuit"), headers=VAPI_HEADERS).json()
        assert FACT in tool["results"][0]["result"]


def test_retell_example_remembers_the_caller_over_http(serve: Any) -> None:
    served = serve("retell_appointments")
    with served.client() as http:
        body, headers = retell_signed(retell_call_analyzed())
        ack = http.post("/post-call", content=body, headers=headers)
        assert ack.status_code == 200 and ack.json() == {"status": "queued"}
        for event in ("call_started", "call_ended"):
            body, headers = retell_signed(retell_call_analyzed(event=event))
            acknowledged = http.post("/post-call", content=body, headers=headers)
            assert acknowledged.status_code == 200 and acknowledged.json()["status"] == "ignored"
        wait_remembered(served, http)

        body, headers = retell_signed(retell_call_inbound("+1 555 555 0123"))
        answer = http.post("/client-data", content=body, headers=headers)
        assert answer.status_code == 200
        inbound = answer.json()["call_inbound"]
        variables = inbound["dynamic_variables"]
        assert all(isinstance(value, str) for value in variables.values())
        assert variables["caller_name"] == NAME
        assert variables["memory_summary"] == SUMMARY
        assert SUMMARY in variables["memory_context"]
        assert inbound["metadata"] == {"memory_user_id": CALLER}

        body, headers = retell_signed(retell_function("when is the dog's surgery"))
        tool = http.post("/retrieve", content=body, headers=headers)
        assert tool.status_code == 200
        assert any(FACT in memory["text"] for memory in tool.json()["memories"])
        assert len(tool.text) <= 15_000


def test_retell_signature_rejections_over_http(serve: Any) -> None:
    served = serve("retell_appointments")
    body = json.dumps(retell_call_analyzed(call_id="call_rejected")).encode()
    now_ms = int(time.time() * 1000)
    changed = bytearray(body)
    changed[len(changed) // 2] ^= 0x01
    cases = [
        (body, sign_retell(body, at_ms=now_ms - 5 * 60 * 1000 - 30_000)),  # older than the window
        (body, sign_retell(body, at_ms=now_ms + 5 * 60 * 1000 + 30_000)),  # newer than the window
        (body, sign_retell(body, key="key_other_0002")),  # another key
        (bytes(changed), sign_retell(body)),  # the body changed by one byte
        (body, None),
    ]
    with served.client() as http:
        for path in ("/client-data", "/retrieve", "/post-call"):
            for sent, signature in cases:
                headers = {"Content-Type": "application/json"}
                if signature:
                    headers["X-Retell-Signature"] = signature
                response = http.post(path, content=sent, headers=headers)
                assert response.status_code == 401 and set(response.json()) == {"error"}
    assert not list((served.data_dir / "archive").glob("*.json"))
