"""Issue 11's Must show 1 and 2 over real HTTP against ``agentic-memory serve``: callers without a usable number
(withheld, a carrier's placeholder, an anonymous SIP URI, a web call) get a complete new-caller answer in each
platform's format, tool calls get one "no memories" result per call id, and their post-calls store nothing under
any id; a SIP-only caller is identified by the SIP URI (its number, or the URI itself)."""

from __future__ import annotations

import copy
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from shared.context import UNKNOWN_CALLER_CONTEXT
from shared.providers.base import NO_MEMORIES_UNKNOWN_CALLER
from tests.conftest import CALLER, TEST_SECRETS, elevenlabs_post_call, sign_elevenlabs
from tests.providers.events import (
    NAME,
    VAPI_HEADERS,
    retell_call_analyzed,
    retell_call_inbound,
    retell_function,
    retell_signed,
    vapi_assistant_request,
    vapi_end_of_call,
    vapi_tool_calls,
)

WORKSPACE = {"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}
ADMIN = {"X-Admin-Key": TEST_SECRETS["ADMIN_API_KEY"]}
WITHHELD = ["anonymous", "Restricted", "+266696687", "sip:anonymous@anonymous.invalid"]
SIP_NUMBER = "sip:+15555550142@sip.example.com"
SIP_USER = "sip:frontdesk@pbx.example.com"
NEW_GREETING = {
    "elevenlabs_customer_support": "Hello! Thanks for calling. How may I help you today?",
}


def stored_users(data_dir: Path) -> set[str]:
    """Every user id the embedded store holds memories for (read directly, not through the service)."""
    path = data_dir / "memories.db"
    if not path.exists():
        return set()
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return {row[0] for row in db.execute("SELECT DISTINCT user_id FROM memories")}


def wait_stored(served: Any, http: Any, user: str) -> None:
    def remembered() -> bool:
        listing = http.get(f"/admin/users/{user}/memories", headers=ADMIN)
        return listing.status_code == 200 and listing.json()["count"] > 0

    served.wait_for(remembered)


def drained(served: Any) -> None:
    """Wait until the local worker has nothing pending (what it would store, it has stored)."""

    def idle() -> bool:
        with sqlite3.connect(f"file:{served.data_dir / 'queue.db'}?mode=ro", uri=True) as db:
            return not db.execute("SELECT 1 FROM queue WHERE state IN ('pending', 'processing')").fetchall()

    served.wait_for(idle)


def assert_unknown(variables: dict[str, Any], known: dict[str, Any]) -> None:
    """A complete new-caller answer: the same variables a known caller gets, none of anyone's memory."""
    assert set(variables) == set(known)
    assert variables["caller_known"] == "no" and known["caller_known"] == "yes"
    assert variables["returning_caller"] == "no"
    assert variables["memory_count"] == "0" and variables["call_count"] == "0"
    assert variables["memory_context"] == UNKNOWN_CALLER_CONTEXT
    assert variables["caller_name"] == "" and variables["caller_id"] == ""
    assert NAME not in json.dumps(variables)


# ElevenLabs ----------------------------------------------------------------------------------------------------------


def el_signed(event: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event).encode()
    return body, {"ElevenLabs-Signature": sign_elevenlabs(body), "Content-Type": "application/json"}


def test_elevenlabs_callers_without_a_number_over_http(serve: Any) -> None:
    served = serve("elevenlabs_customer_support")
    with served.client() as http:
        body, headers = el_signed(elevenlabs_post_call())
        assert http.post("/post-call", content=body, headers=headers).json()["status"] == "queued"
        wait_stored(served, http, CALLER)
        known = http.post("/client-data", json={"caller_id": CALLER, "agent_id": "a"}, headers=WORKSPACE).json()
        assert known["dynamic_variables"]["caller_name"] == NAME

        initiations: list[dict[str, Any]] = [{"caller_id": raw, "agent_id": "a"} for raw in WITHHELD]
        initiations += [{"agent_id": "a", "called_number": "+15555550100"}, {"caller_id": None}, {"caller_id": ""}]
        for initiation in initiations:
            answer = http.post("/client-data", json=initiation, headers=WORKSPACE)
            assert answer.status_code == 200, initiation
            data = answer.json()
            assert data["type"] == "conversation_initiation_client_data"
            assert_unknown(data["dynamic_variables"], known["dynamic_variables"])
            first = data["conversation_config_override"]["agent"]["first_message"]
            assert first == NEW_GREETING["elevenlabs_customer_support"]

        # a web call's tool: the caller's dynamic variable is empty or absent
        for tool_body in ({"query": "the dog"}, {"query": "the dog", "caller_id": ""}, {"query": "x", "user_id": "0"}):
            tool = http.post("/retrieve", json=tool_body, headers=WORKSPACE)
            assert tool.status_code == 200
            assert tool.json()["result"] == NO_MEMORIES_UNKNOWN_CALLER and tool.json()["memories"] == []

        # post-calls of such calls: archived, nothing remembered under any id
        for index, caller in enumerate(["anonymous", "+266696687", None]):
            event = elevenlabs_post_call(caller=caller, conversation_id=f"conv_unknown_{index}", name="Robin Castle")
            body, headers = el_signed(event)
            ack = http.post("/post-call", content=body, headers=headers)
            assert ack.status_code == 200 and ack.json()["status"] == "archived"
        drained(served)
        assert stored_users(served.data_dir) == {CALLER}

        # a SIP trunk caller is identified by the number in its SIP URI
        sip = http.post("/client-data", json={"caller_id": SIP_NUMBER, "agent_id": "a"}, headers=WORKSPACE).json()
        assert sip["dynamic_variables"]["caller_known"] == "yes"
        assert sip["dynamic_variables"]["caller_id"] == "+15555550142"


# Vapi ----------------------------------------------------------------------------------------------------------------


def vapi_customer(event: dict[str, Any], customer: dict[str, Any] | None, call_type: str) -> dict[str, Any]:
    event = copy.deepcopy(event)
    message = event["message"]
    message["call"]["type"] = call_type
    for holder in (message, message["call"]):
        if customer is None:
            holder.pop("customer", None)
        else:
            holder["customer"] = dict(customer)
    return event


def vapi_variants() -> list[tuple[dict[str, Any] | None, str]]:
    withheld: list[tuple[dict[str, Any] | None, str]] = [
        ({"number": raw}, "inboundPhoneCall") for raw in WITHHELD if not raw.startswith("sip:")
    ]
    return [
        *withheld,
        ({"sipUri": "sip:anonymous@anonymous.invalid"}, "inboundPhoneCall"),
        ({"sipUri": "sip:anonymous@anonymous.invalid", "name": "Anonymous"}, "inboundPhoneCall"),
        (None, "webCall"),
        ({}, "webCall"),
    ]


def test_vapi_callers_without_a_number_over_http(serve: Any) -> None:
    served = serve("vapi_receptionist")
    with served.client() as http:
        assert http.post("/post-call", json=vapi_end_of_call(), headers=VAPI_HEADERS).json()["status"] == "queued"
        wait_stored(served, http, CALLER)
        known = http.post("/client-data", json=vapi_assistant_request(), headers=VAPI_HEADERS).json()
        known_variables = known["assistantOverrides"]["variableValues"]
        assert known_variables["caller_name"] == NAME

        for index, (customer, call_type) in enumerate(vapi_variants()):
            request = vapi_customer(vapi_assistant_request(), customer, call_type)
            answer = http.post("/client-data", json=request, headers=VAPI_HEADERS)
            assert answer.status_code == 200, customer
            data = answer.json()
            assert data["assistantId"] == known["assistantId"] and "error" not in data
            overrides = data["assistantOverrides"]
            assert "metadata" not in overrides  # no memory user id to echo
            assert_unknown(overrides["variableValues"], known_variables)
            assert overrides["variableValues"]["memory_user_id"] == ""
            assert overrides["firstMessage"]

            tools = vapi_customer(vapi_tool_calls("the dog"), customer, call_type)
            second = {**tools["message"]["toolCallList"][0], "id": "call_tool_0002"}
            tools["message"]["toolCallList"].append(second)
            tool = http.post("/retrieve", json=tools, headers=VAPI_HEADERS)
            assert tool.status_code == 200
            results = tool.json()["results"]
            assert [r["toolCallId"] for r in results] == ["call_tool_0001", "call_tool_0002"]
            assert all(r["result"] == NO_MEMORIES_UNKNOWN_CALLER and r["name"] == "recall_memory" for r in results)

            report = vapi_customer(vapi_end_of_call(call_id=f"vapi-unknown-{index}", name="Robin Castle"), customer,
                                   call_type)  # fmt: skip
            ack = http.post("/post-call", json=report, headers=VAPI_HEADERS)
            assert ack.status_code == 200 and ack.json()["status"] == "archived"
        drained(served)
        assert stored_users(served.data_dir) == {CALLER}

        # SIP-only callers: the number in the URI, else the URI itself, each its own caller
        for index, (sip, caller_id) in enumerate(((SIP_NUMBER, "+15555550142"), (SIP_USER, SIP_USER))):
            request = vapi_customer(vapi_assistant_request(), {"sipUri": sip}, "inboundPhoneCall")
            variables = http.post("/client-data", json=request, headers=VAPI_HEADERS).json()["assistantOverrides"][
                "variableValues"
            ]
            assert (variables["caller_known"], variables["caller_id"], variables["returning_caller"]) == (
                "yes",
                caller_id,
                "no",
            )
            report = vapi_customer(vapi_end_of_call(call_id=f"vapi-sip-{index}"), {"sipUri": sip}, "inboundPhoneCall")
            assert http.post("/post-call", json=report, headers=VAPI_HEADERS).json()["status"] == "queued"
        drained(served)
        assert stored_users(served.data_dir) == {CALLER, "+15555550142", SIP_USER}
        again = vapi_customer(vapi_assistant_request(), {"sipUri": SIP_USER}, "inboundPhoneCall")
        variables = http.post("/client-data", json=again, headers=VAPI_HEADERS).json()["assistantOverrides"][
            "variableValues"
        ]
        assert variables["returning_caller"] == "yes" and variables["caller_name"] == NAME


# Retell --------------------------------------------------------------------------------------------------------------


def retell_web_call(call: dict[str, Any]) -> None:
    call["call_type"] = "web_call"
    call.pop("from_number", None)
    call.pop("to_number", None)


@pytest.mark.parametrize("agent_type", ["retell_appointments"])
def test_retell_callers_without_a_number_over_http(serve: Any, agent_type: str) -> None:
    served = serve(agent_type)
    with served.client() as http:
        body, headers = retell_signed(retell_call_analyzed())
        assert http.post("/post-call", content=body, headers=headers).json()["status"] == "queued"
        wait_stored(served, http, CALLER)
        body, headers = retell_signed(retell_call_inbound())
        known = http.post("/client-data", content=body, headers=headers).json()["call_inbound"]["dynamic_variables"]
        assert known["caller_name"] == NAME

        inbound_events = [retell_call_inbound(raw) for raw in WITHHELD]
        missing = retell_call_inbound()
        del missing["call_inbound"]["from_number"]
        inbound_events.append(missing)
        for event in inbound_events:
            body, headers = retell_signed(event)
            answer = http.post("/client-data", content=body, headers=headers)
            assert answer.status_code == 200, event["call_inbound"].get("from_number")
            inbound = answer.json()["call_inbound"]
            assert "metadata" not in inbound and inbound.get("reject") is not True
            assert all(isinstance(value, str) for value in inbound["dynamic_variables"].values())
            assert_unknown(inbound["dynamic_variables"], known)

        web_function = retell_function("the dog")
        retell_web_call(web_function["call"])
        for function in (web_function, retell_function("the dog", caller="anonymous")):
            body, headers = retell_signed(function)
            tool = http.post("/retrieve", content=body, headers=headers)
            assert tool.status_code == 200
            assert tool.json()["result"] == NO_MEMORIES_UNKNOWN_CALLER and tool.json()["memories"] == []

        web_report = retell_call_analyzed(call_id="call_web_0001", name="Robin Castle")
        retell_web_call(web_report["call"])
        reports = [web_report, retell_call_analyzed(caller="anonymous", call_id="call_anon_0001", name="Robin Castle")]
        for report in reports:
            body, headers = retell_signed(report)
            ack = http.post("/post-call", content=body, headers=headers)
            assert ack.status_code == 200 and ack.json()["status"] == "archived"
        drained(served)
        assert stored_users(served.data_dir) == {CALLER}

        body, headers = retell_signed(retell_call_inbound(SIP_NUMBER))
        sip = http.post("/client-data", content=body, headers=headers).json()["call_inbound"]
        assert sip["dynamic_variables"]["caller_id"] == "+15555550142"
        assert sip["metadata"] == {"memory_user_id": "+15555550142"}
