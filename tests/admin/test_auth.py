"""Must show 4: the admin and analytics routes open with the admin key in X-Admin-Key, and with nothing else."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from tests.conftest import CALLER, TEST_SECRETS, elevenlabs_post_call, sign_elevenlabs

ADMIN_KEY = TEST_SECRETS["ADMIN_API_KEY"]
ROUTES = [
    ("GET", f"/admin/users/{CALLER}/memories"),
    ("DELETE", f"/admin/users/{CALLER}/memories"),
    ("GET", "/admin/config"),
    ("GET", f"/analytics/users/{CALLER}"),
    ("GET", "/analytics/agent"),
]
PROVIDER_SECRETS = {name: value for name, value in TEST_SECRETS.items() if name != "ADMIN_API_KEY"}


def refused_headers() -> list[dict[str, str]]:
    """Every way a platform's credential (or a near miss of the admin key) could be presented."""
    headers: list[dict[str, str]] = [{}]
    headers += [{"X-Admin-Key": value} for value in PROVIDER_SECRETS.values()]
    headers += [
        {"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]},
        {"ElevenLabs-Signature": sign_elevenlabs(b"")},
        {"X-API-Key": TEST_SECRETS["GENERIC_API_KEY"]},
        {"Authorization": f"Bearer {TEST_SECRETS['VAPI_SECRET']}"},
        {"X-Vapi-Secret": TEST_SECRETS["VAPI_SECRET"]},
        {"X-Retell-Signature": TEST_SECRETS["RETELL_API_KEY"]},
        {"Authorization": f"Bearer {ADMIN_KEY}"},  # the right key in the wrong header
        {"X-API-Key": ADMIN_KEY},
        {"X-Admin-Key": ""},
        {"X-Admin-Key": ADMIN_KEY[:-1]},
        {"X-Admin-Key": ADMIN_KEY + "0"},
        {"X-Admin-Key": ADMIN_KEY.upper()},
        {"X-Admin-Key": f" {ADMIN_KEY}"},
        {"X-Admin-Key": "\udcff" + ADMIN_KEY},  # undecodable bytes from an edge
    ]
    return headers


AGENT_TYPES = ["elevenlabs_customer_support", "generic_voice_agent", "vapi_receptionist", "retell_appointments"]


@pytest.fixture(params=AGENT_TYPES)
def seeded(request: pytest.FixtureRequest, local_runtime: Any) -> Any:
    local = local_runtime(request.param)
    if request.param.startswith("elevenlabs"):
        body = json.dumps(elevenlabs_post_call()).encode()
        assert local.call("POST", "/post-call", body, {"ElevenLabs-Signature": sign_elevenlabs(body)}).status == 200
        local.drain()
        assert local.runtime.service.manager.recent(CALLER)
    return local


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_admin_route_refuses_everything_but_the_admin_key(seeded: Any, method: str, path: str) -> None:
    before = len(seeded.runtime.service.manager.recent(CALLER))
    for headers in refused_headers():
        response = seeded.call(method, path, b"", headers)
        assert response.status == 401, (path, sorted(headers))
        assert json.loads(response.body) == {"error": "admin key required (X-Admin-Key)"}
    assert len(seeded.runtime.service.manager.recent(CALLER)) == before  # a refused erase erased nothing
    assert seeded.call(method, path, b"", {"X-Admin-Key": ADMIN_KEY}).status == 200


def test_without_an_admin_key_configured_the_admin_api_stays_shut(local_runtime: Any) -> None:
    secrets = {k: v for k, v in TEST_SECRETS.items() if k != "ADMIN_API_KEY"}
    local = local_runtime("elevenlabs_customer_support", secrets)
    for method, path in ROUTES:
        for headers in ({}, {"X-Admin-Key": ""}, {"X-Admin-Key": ADMIN_KEY}):
            assert local.call(method, path, b"", headers).status == 401


@pytest.mark.parametrize(
    ("agent_type", "provider_secret"),
    [
        ("elevenlabs_customer_support", "ELEVENLABS_WORKSPACE_KEY"),
        ("elevenlabs_customer_support", "ELEVENLABS_HMAC_KEY"),
        ("generic_voice_agent", "GENERIC_API_KEY"),
        ("vapi_receptionist", "VAPI_SECRET"),
    ],
)
def test_an_admin_key_equal_to_another_secret_keeps_the_admin_api_shut_and_the_calls_answered(
    local_runtime: Any, agent_type: str, provider_secret: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Deployed, a refusal at start-up took the pre-call down with the admin API: only the admin API stays shut."""
    secrets = {**TEST_SECRETS, "ADMIN_API_KEY": TEST_SECRETS[provider_secret]}
    with caplog.at_level(logging.ERROR, logger="agentic_memory.admin"):
        local = local_runtime(agent_type, secrets)
    assert f"the admin API stays shut: ADMIN_API_KEY must differ from {provider_secret}" in caplog.text
    assert TEST_SECRETS[provider_secret] not in caplog.text
    assert local.call("GET", "/admin/config", b"", {"X-Admin-Key": TEST_SECRETS[provider_secret]}).status == 401
    assert local.call("GET", "/healthz", b"", {}).status == 200


def test_platform_routes_do_not_accept_the_admin_key(local_runtime: Any) -> None:
    local = local_runtime()
    admin = {"X-Admin-Key": ADMIN_KEY, "X-Workspace-Key": ADMIN_KEY}
    assert local.call("POST", "/client-data", {"caller_id": CALLER}, admin).status == 401
    assert local.call("POST", "/retrieve", {"query": "x", "user_id": CALLER}, admin).status == 401


def test_a_short_admin_key_opens_the_admin_api_and_is_warned_of(
    local_runtime: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing throttles guesses over HTTP (``1234`` fell in 28 s), but refusing a key that worked would take working
    deployments' admin API away: said at every start, never shown."""
    with caplog.at_level(logging.WARNING, logger="agentic_memory.admin"):
        local = local_runtime("elevenlabs_customer_support", {**TEST_SECRETS, "ADMIN_API_KEY": "admin-1234"})
    assert "ADMIN_API_KEY is shorter than 16 characters" in caplog.text and "admin-1234" not in caplog.text
    assert local.call("GET", "/admin/config", b"", {"X-Admin-Key": "admin-1234"}).status == 200


def test_serve_refuses_to_start_with_an_admin_key_equal_to_another_secret(tmp_path: Any) -> None:
    """Locally the person who set it is there: said at once, never shown."""
    import os
    import subprocess
    import sys

    from tests.http.conftest import free_port

    env = {**{k: v for k, v in os.environ.items() if k not in TEST_SECRETS}, **TEST_SECRETS}
    env["ADMIN_API_KEY"] = TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]
    command = [sys.executable, "-c", "from functions.cli import main; main()", "serve", "--port", str(free_port())]
    done = subprocess.run([*command, "--data-dir", str(tmp_path)], env=env, capture_output=True, text=True, timeout=120)
    output = done.stderr + done.stdout
    assert done.returncode == 1 and "ADMIN_API_KEY must differ from ELEVENLABS_WORKSPACE_KEY" in output
    assert TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"] not in output and "serving" not in done.stdout
