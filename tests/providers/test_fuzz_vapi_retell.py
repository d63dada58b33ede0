"""Vapi and Retell under arbitrary input with valid credentials: always JSON, never a 500, a rejection stores
nothing, and whatever the intake accepted the worker processes without a failure (hypothesis)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from shared.http import Request
from tests.conftest import LocalRuntime, make_local_runtime
from tests.providers.events import (
    VAPI_HEADERS,
    retell_call_analyzed,
    retell_call_inbound,
    retell_function,
    sign_retell,
    vapi_assistant_request,
    vapi_end_of_call,
    vapi_tool_calls,
)

AGENT_TYPES = ("vapi_receptionist", "retell_appointments")
ROUTES = ("/client-data", "/retrieve", "/post-call")
ALLOWED = {200, 400, 413, 422}  # credentials are valid throughout, so never 401

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
field_names = st.sampled_from(
    [
        "message", "type", "call", "customer", "number", "id", "toolCallList", "toolCalls", "toolWithToolCallList",
        "toolCall", "function", "name", "arguments", "parameters", "query", "artifact", "messages", "role",
        "analysis", "summary", "structuredData", "structuredOutputs", "result", "successEvaluation", "startedAt",
        "event", "call_inbound", "from_number", "to_number", "direction", "call_id", "args", "call_analysis",
        "call_summary", "custom_analysis_data", "transcript_object", "content", "transcript", "metadata",
        "collected_dynamic_variables", "retell_llm_dynamic_variables", "start_timestamp",
    ]
)  # fmt: skip
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
platform_words = st.sampled_from(
    [
        "+15555550123", "555-555-0123", "assistant-request", "tool-calls", "end-of-call-report", "status-update",
        "call_inbound", "call_analyzed", "call_ended", "call_started", "user", "bot", "assistant", "agent",
        "inbound", "outbound", '{"query": "dog"}', "{not json",
    ]
)  # fmt: skip
shaped = st.recursive(
    scalars | platform_words,
    lambda children: st.dictionaries(field_names, children, max_size=6) | st.lists(children, max_size=3),
    max_leaves=30,
)
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    shaped.map(lambda v: json.dumps(v).encode()),
)
MUTATION_POINTS = [
    [], ["message"], ["message", "call"], ["message", "artifact"], ["message", "analysis"], ["call"],
    ["call", "call_analysis"], ["call_inbound"], ["args"], ["message", "toolCallList"],
]  # fmt: skip
VALID = {
    "vapi_receptionist": [vapi_assistant_request, lambda: vapi_tool_calls("dog"), vapi_end_of_call],
    "retell_appointments": [retell_call_inbound, lambda: retell_function("dog"), retell_call_analyzed],
}


@pytest.fixture(scope="module")
def runtimes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, LocalRuntime]:
    base: Path = tmp_path_factory.mktemp("fuzz-vapi-retell")
    made = {name: make_local_runtime(base / name, name) for name in AGENT_TYPES}
    yield made  # type: ignore[misc]
    for local in made.values():
        local.runtime.store.close()
        local.queue.close()


def credentials(agent_type: str, body: bytes) -> dict[str, str]:
    return dict(VAPI_HEADERS) if agent_type.startswith("vapi") else {"X-Retell-Signature": sign_retell(body)}


def send(local: LocalRuntime, agent_type: str, route: str, body: bytes) -> Any:
    response = local.runtime.app.handle(Request.build("POST", route, credentials(agent_type, body), body))
    assert response.status in ALLOWED, (response.status, response.body[:200])
    decoded = json.loads(response.body)
    assert isinstance(decoded, dict)
    if response.status >= 400:
        assert set(decoded) == {"error"} and isinstance(decoded["error"], str)
        assert "Traceback" not in decoded["error"]
    return response


def settle(local: LocalRuntime) -> None:
    """What the intake accepted, the worker turns into memories without a failure; then start afresh."""
    local.drain()
    assert "dead" not in local.queue.counts(), local.queue.counts()
    for entry in list(local.runtime.archive.entries()):
        local.queue.remove(entry.key)
        local.runtime.archive.delete(entry.key)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(agent_type=st.sampled_from(AGENT_TYPES), route=st.sampled_from(ROUTES), body=bodies)
def test_arbitrary_bodies_are_answered_in_json_never_500(
    runtimes: dict[str, LocalRuntime], agent_type: str, route: str, body: bytes
) -> None:
    local = runtimes[agent_type]
    before = sorted(e.key for e in local.runtime.archive.entries())
    response = send(local, agent_type, route, body)
    event(f"{agent_type} {response.status} {json.loads(response.body).get('status', '')}")
    if response.status != 200:
        assert sorted(e.key for e in local.runtime.archive.entries()) == before
    settle(local)


def _merge(base: Any, mutation: Any, path: list[str]) -> Any:
    """Replace or merge ``mutation`` at ``path`` inside ``base`` (a valid platform payload)."""
    if not path:
        return {**base, **mutation} if isinstance(base, dict) and isinstance(mutation, dict) else mutation
    if not isinstance(base, dict):
        return base
    head, *rest = path
    return {**base, head: _merge(base.get(head), mutation, rest)}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    agent_type=st.sampled_from(AGENT_TYPES),
    kind=st.integers(min_value=0, max_value=2),
    route=st.sampled_from(ROUTES),
    where=st.sampled_from(MUTATION_POINTS),
    mutation=shaped,
)
def test_mutated_platform_payloads_are_never_a_500(
    runtimes: dict[str, LocalRuntime], agent_type: str, kind: int, route: str, where: list[str], mutation: Any
) -> None:
    local = runtimes[agent_type]
    payload = _merge(VALID[agent_type][kind](), mutation, where)
    body = json.dumps(payload).encode()
    before = sorted(e.key for e in local.runtime.archive.entries())
    response = send(local, agent_type, route, body)
    event(f"{agent_type} {response.status} {json.loads(response.body).get('status', '')}")
    if response.status != 200:
        assert sorted(e.key for e in local.runtime.archive.entries()) == before
    settle(local)


@pytest.mark.parametrize("agent_type", AGENT_TYPES)
def test_valid_payloads_still_pass_through_the_fuzz_harness(runtimes: dict[str, LocalRuntime], agent_type: str) -> None:
    """The harness itself: the unmutated payloads succeed, so the properties above are not vacuous."""
    local = runtimes[agent_type]
    answers = [
        json.loads(send(local, agent_type, route, json.dumps(make()).encode()).body)
        for make, route in zip(VALID[agent_type], ROUTES, strict=True)
    ]
    assert answers[2] == {"status": "queued"}
    settle(local)
    assert local.queue.counts() == {}
