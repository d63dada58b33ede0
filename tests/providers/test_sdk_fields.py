"""Issue 11's Must show 3 (fields): each field the platforms' SDK types define and the service used to miss, as
the only source of the caller's name or words, end to end (post-call, worker, then the next pre-call or tool).
Each test has its control: the same event without the field leaves the name or words unknown."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import CALLER, TEST_SECRETS, elevenlabs_post_call, sign_elevenlabs
from tests.providers.events import (
    VAPI_HEADERS,
    retell_call_analyzed,
    retell_function,
    retell_signed,
    vapi_assistant_request,
    vapi_end_of_call,
)

ROBIN = "Robin Castellano"
AGENT = "retell_appointments"
NOW = datetime.now(UTC)
WORKSPACE = {"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}
QUIET_TURNS = ("I need to push it to next week.",)  # nothing a name pattern could read


def _json(response: Any) -> Any:
    return json.loads(response.body)


# Vapi: analysis.structuredDataMulti, customer.name --------------------------------------------------------------


def vapi_name(local: Any, event: dict[str, Any]) -> str:
    assert _json(local.call("POST", "/post-call", event, VAPI_HEADERS))["status"] == "queued"
    local.drain()
    answer = _json(local.call("POST", "/client-data", vapi_assistant_request(), VAPI_HEADERS))
    name: str = answer["assistantOverrides"]["variableValues"]["caller_name"]
    return name


@pytest.mark.parametrize(
    "multi",
    [
        [{"key": "contact", "structuredData": {"caller_name": ROBIN}}],  # catalog key + its plan's output
        [{"intent": "reschedule"}, {"caller_name": ROBIN}],  # plain objects
        [{"contact": {"caller_name": ROBIN, "phone_type": "mobile"}}],  # keyed by the catalog key
    ],
)
def test_vapi_name_from_structured_data_multi_alone(local_runtime: Any, multi: list[Any]) -> None:
    event = vapi_end_of_call(name=None, user_turns=QUIET_TURNS)
    event["message"]["analysis"]["structuredDataMulti"] = multi
    assert vapi_name(local_runtime("vapi_receptionist"), event) == ROBIN


def test_vapi_without_structured_data_multi_the_name_is_unknown(local_runtime: Any) -> None:
    event = vapi_end_of_call(name=None, user_turns=QUIET_TURNS)
    assert vapi_name(local_runtime("vapi_receptionist"), event) == ""


def test_vapi_name_from_customer_name_alone(local_runtime: Any) -> None:
    event = vapi_end_of_call(name=None, user_turns=QUIET_TURNS)
    event["message"]["call"]["customer"]["name"] = ROBIN
    assert vapi_name(local_runtime("vapi_receptionist"), event) == ROBIN


@pytest.mark.parametrize(
    "display", ["Anonymous", "WIRELESS CALLER", "+15555550123", "unknown", "Spam Likely", "Scam Likely", "Unknown Name"]
)
def test_vapi_customer_name_that_is_no_name_is_not_kept(local_runtime: Any, display: str) -> None:
    event = vapi_end_of_call(name=None, user_turns=QUIET_TURNS)
    event["message"]["call"]["customer"]["name"] = display
    assert vapi_name(local_runtime("vapi_receptionist"), event) == ""


def test_vapi_extraction_wins_over_customer_name(local_runtime: Any) -> None:
    event = vapi_end_of_call(name=ROBIN, user_turns=QUIET_TURNS)
    event["message"]["call"]["customer"]["name"] = "Sam Okafor"
    assert vapi_name(local_runtime("vapi_receptionist"), event) == ROBIN


@pytest.mark.parametrize("other", [{"company_name": "Greenway Estates"}, {"guest_name": "Leila Haddad"}])
def test_vapi_customer_name_is_kept_beside_a_field_that_names_someone_or_something_else(
    local_runtime: Any, other: dict[str, str]
) -> None:
    """A hotel's structured data with ``company_name`` or ``guest_name``: any key containing "name" dropped the
    caller's ``customer.name``, so "Teodora Vasquez" booking for her company was greeted unnamed (outside audit)."""
    event = vapi_end_of_call(name=None, user_turns=QUIET_TURNS)
    event["message"]["analysis"]["structuredData"] = other
    event["message"]["call"]["customer"]["name"] = ROBIN
    assert vapi_name(local_runtime("vapi_receptionist"), event) == ROBIN


def test_vapi_a_first_name_field_is_the_callers_name_and_customer_name_is_not_added(local_runtime: Any) -> None:
    event = vapi_end_of_call(name=None, user_turns=QUIET_TURNS)
    event["message"]["analysis"]["structuredData"] = {"firstName": "Robin"}
    event["message"]["call"]["customer"]["name"] = "Sam Okafor"
    assert vapi_name(local_runtime("vapi_receptionist"), event) == "Robin"


# ElevenLabs: analysis.data_collection_results_list -------------------------------------------------------------


def elevenlabs_name(local: Any, event: dict[str, Any]) -> str:
    body = json.dumps(event).encode()
    response = local.call("POST", "/post-call", body, {"ElevenLabs-Signature": sign_elevenlabs(body)})
    assert _json(response)["status"] == "queued"
    local.drain()
    answer = _json(local.call("POST", "/client-data", {"caller_id": CALLER}, WORKSPACE))
    name: str = answer["dynamic_variables"]["caller_name"]
    return name


def test_elevenlabs_name_from_data_collection_results_list_alone(local_runtime: Any) -> None:
    event = elevenlabs_post_call(name=None, user_turns=QUIET_TURNS)
    analysis = event["data"]["analysis"]
    analysis["data_collection_results"] = {}
    analysis["data_collection_results_list"] = [
        {"data_collection_id": "caller_name", "value": ROBIN, "json_schema": {"type": "string"}, "rationale": "."},
        {"data_collection_id": "empty", "value": None},
    ]
    assert elevenlabs_name(local_runtime(), event) == ROBIN


def test_elevenlabs_without_the_list_the_name_is_unknown(local_runtime: Any) -> None:
    event = elevenlabs_post_call(name=None, user_turns=QUIET_TURNS)
    event["data"]["analysis"].pop("data_collection_results_list", None)
    assert elevenlabs_name(local_runtime(), event) == ""


# Retell: scrubbed_transcript_with_tool_calls --------------------------------------------------------------------

SCRUBBED_TURNS = [
    {"role": "agent", "content": "Hi, how can I help?", "words": []},
    {"role": "tool_call_invocation", "tool_call_id": "t1", "name": "recall_memory", "arguments": "{}"},
    {"role": "tool_call_result", "tool_call_id": "t1", "content": "No memories found.", "successful": True},
    {"role": "user", "content": "Our parrot Kiwi needs a quiet room, my card is {{credit_card}}.", "words": []},
]


def retell_found(local: Any, event: dict[str, Any], query: str) -> list[str]:
    body, headers = retell_signed(event)
    assert _json(local.call("POST", "/post-call", body, headers))["status"] == "queued"
    local.drain()
    body, headers = retell_signed(retell_function(query))
    return [memory["text"] for memory in _json(local.call("POST", "/retrieve", body, headers))["memories"]]


def without_raw_transcripts(event: dict[str, Any]) -> dict[str, Any]:
    for name in ("transcript", "transcript_object", "transcript_with_tool_calls"):
        event["call"].pop(name, None)
    return event


def test_retell_words_from_scrubbed_transcript_with_tool_calls_alone(local_runtime: Any) -> None:
    event = without_raw_transcripts(retell_call_analyzed(name=None))
    event["call"]["scrubbed_transcript_with_tool_calls"] = SCRUBBED_TURNS
    found = retell_found(local_runtime("retell_appointments"), event, "parrot Kiwi quiet room")
    assert any("parrot Kiwi" in text for text in found)
    assert not any("No memories found" in text or "Hi, how can I help" in text for text in found)


def test_retell_without_any_transcript_no_words_are_stored(local_runtime: Any) -> None:
    event = without_raw_transcripts(retell_call_analyzed(name=None))
    found = retell_found(local_runtime("retell_appointments"), event, "parrot Kiwi quiet room")
    assert not any("Kiwi" in text for text in found)


@pytest.mark.parametrize("marker", ["scrubbed", "storage_setting"])
def test_retell_with_pii_scrubbing_the_raw_transcript_is_never_stored(local_runtime: Any, marker: str) -> None:
    raw = "Our parrot Kiwi needs a quiet room, my card is 4111 1111 1111 1111."
    event = retell_call_analyzed(name=None, user_turns=(raw,))
    if marker == "scrubbed":
        event["call"]["scrubbed_transcript_with_tool_calls"] = SCRUBBED_TURNS
    else:
        event["call"]["data_storage_setting"] = "everything_except_pii"
    local = local_runtime("retell_appointments")
    found = retell_found(local, event, "parrot Kiwi quiet room card")
    everything = json.dumps([m.text for m in local.runtime.store.get_all(CALLER, AGENT, now=NOW)])
    assert "4111" not in everything and not any("4111" in text for text in found)
    assert any("{{credit_card}}" in text for text in found) == (marker == "scrubbed")


def test_retell_transcript_with_tool_calls_is_read_when_it_is_the_only_raw_list(local_runtime: Any) -> None:
    event = retell_call_analyzed(name=None)
    call = event["call"]
    call.pop("transcript_object")
    call.pop("transcript")
    call["transcript_with_tool_calls"] = list(SCRUBBED_TURNS)
    found = retell_found(local_runtime("retell_appointments"), event, "parrot Kiwi quiet room")
    assert any("parrot Kiwi" in text for text in found)
