"""No request, however malformed, gets a 500 or a stack trace; a rejected one stores nothing (hypothesis)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.http import Request
from tests.conftest import TEST_SECRETS, LocalRuntime, elevenlabs_post_call, make_local_runtime, sign_elevenlabs

AGENT_TYPES = ("elevenlabs_customer_support", "generic_voice_agent")
ALLOWED = {200, 400, 401, 404, 405, 413, 422}
ROUTES = [
    "/client-data",
    "/retrieve",
    "/post-call",
    "/healthz",
    "/admin/users/+15555550123/memories",
    "/analytics/agent",
    "/",
    "/client-data/extra",
    "/%00",
    "/admin/users//memories",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
# objects shaped like the platforms' own, with fields nulled, retyped or missing
field_names = st.sampled_from(
    [
        "caller_id",
        "user_id",
        "query",
        "type",
        "data",
        "conversation_id",
        "metadata",
        "phone_call",
        "transcript",
        "analysis",
        "summary",
        "fields",
        "event",
        "agent_id",
        "external_number",
        "message",
        "role",
    ]
)
shaped = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30) | st.just("+15555550123"),
    lambda children: st.dictionaries(field_names, children, max_size=6) | st.lists(children, max_size=3),
    max_leaves=25,
)
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    shaped.map(lambda v: json.dumps(v).encode()),
)


@pytest.fixture(scope="module")
def runtimes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, LocalRuntime]:
    base: Path = tmp_path_factory.mktemp("fuzz")
    return {name: make_local_runtime(base / name, name) for name in AGENT_TYPES}


def auth_headers(agent_type: str, path: str, body: bytes) -> dict[str, str]:
    if agent_type.startswith("elevenlabs"):
        if path == "/post-call":
            return {"ElevenLabs-Signature": sign_elevenlabs(body)}
        return {"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}
    return {"X-API-Key": TEST_SECRETS["GENERIC_API_KEY"]}


def check(response: Any) -> None:
    assert response.status in ALLOWED, (response.status, response.body[:200])
    decoded = json.loads(response.body)
    assert isinstance(decoded, dict)
    if response.status >= 400:
        assert set(decoded) == {"error"}
        assert "Traceback" not in decoded["error"] and 'File "' not in decoded["error"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    agent_type=st.sampled_from(AGENT_TYPES),
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
    path=st.sampled_from(ROUTES),
    body=bodies,
    authenticated=st.booleans(),
    extra_headers=st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=40), max_size=3),
)
def test_every_route_answers_json_never_500(
    runtimes: dict[str, LocalRuntime],
    agent_type: str,
    method: str,
    path: str,
    body: bytes,
    authenticated: bool,
    extra_headers: dict[str, str],
) -> None:
    local = runtimes[agent_type]
    headers = dict(extra_headers)
    if authenticated:
        headers.update(auth_headers(agent_type, path, body))
    check(local.runtime.app.handle(Request.build(method, path, headers, body)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=shaped)
def test_mutated_post_call_is_never_a_500_and_rejections_store_nothing(
    runtimes: dict[str, LocalRuntime], mutation: Any
) -> None:
    local = runtimes["elevenlabs_customer_support"]
    event = elevenlabs_post_call(conversation_id="conv_fuzz")
    event["data"] = mutation if not isinstance(mutation, dict) else {**event["data"], **mutation}
    body = json.dumps(event).encode()
    before = sorted(e.key for e in local.runtime.archive.entries())
    response = local.runtime.app.handle(
        Request.build("POST", "/post-call", {"ElevenLabs-Signature": sign_elevenlabs(body)}, body)
    )
    check(response)
    if response.status != 200:
        assert sorted(e.key for e in local.runtime.archive.entries()) == before
    local.drain()  # what was accepted is processed without a failure
    assert "dead" not in local.queue.counts()
    local.queue.remove("post_call_transcription:conv_fuzz")
    local.runtime.archive.delete("post_call_transcription:conv_fuzz")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_unauthenticated_post_call_never_stores(runtimes: dict[str, LocalRuntime], body: bytes) -> None:
    local = runtimes["elevenlabs_customer_support"]
    before = sorted(e.key for e in local.runtime.archive.entries())
    response = local.runtime.app.handle(
        Request.build("POST", "/post-call", {"ElevenLabs-Signature": "t=1,v0=00"}, body)
    )
    assert response.status == 401
    assert sorted(e.key for e in local.runtime.archive.entries()) == before
