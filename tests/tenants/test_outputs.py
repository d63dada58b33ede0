"""What each tenant pastes into its platform: the right URL in the right field, the right header per secret."""

from __future__ import annotations

import json

import pytest
from rich.console import Console

from infra.tenants.outputs import settings_json, settings_table, tenant_settings

BASE = "https://am-acme-abc123.execute-api.us-east-1.amazonaws.com"
OUTPUTS = {
    "baseUrl": BASE,
    "preCallUrl": f"{BASE}/client-data",
    "toolUrl": f"{BASE}/retrieve",
    "postCallUrl": f"{BASE}/post-call",
}


def by_endpoint(agent_type: str, **kwargs: object) -> dict[str, tuple[str, str | None, str | None, str, str | None]]:
    settings = tenant_settings("acme", agent_type, "aws", OUTPUTS, **kwargs)  # type: ignore[arg-type]
    return {item.endpoint: (item.field, item.url, item.header, item.auth, item.secret) for item in settings.paste}


def test_elevenlabs_fields_headers_and_secrets() -> None:
    items = by_endpoint("elevenlabs_customer_support", references={"ELEVENLABS_WORKSPACE_KEY": "env:ACME_WS"})
    field, url, header, auth, secret = items["client_data"]
    assert "Conversation initiation client data webhook" in field and url == f"{BASE}/client-data"
    assert (header, secret) == ("X-Workspace-Key", "ELEVENLABS_WORKSPACE_KEY")
    assert auth == "header X-Workspace-Key: the value of ELEVENLABS_WORKSPACE_KEY (env:ACME_WS)"
    field, url, header, auth, secret = items["retrieve"]
    assert "Tools" in field and "Webhook" in field and url == f"{BASE}/retrieve" and header == "X-Workspace-Key"
    field, url, header, auth, secret = items["post_call"]
    assert "Post-call webhook" in field and url == f"{BASE}/post-call"
    assert secret == "ELEVENLABS_HMAC_KEY" and "signed by ElevenLabs" in auth


def test_vapi_uses_its_credential_on_every_server_url() -> None:
    items = by_endpoint("vapi_receptionist")
    assert "Phone Numbers" in items["client_data"][0] and "assistant-request" in items["client_data"][0]
    assert "end-of-call-report" in items["post_call"][0]
    assert {item[4] for item in items.values()} == {"VAPI_SECRET"}
    assert all("Bearer" in item[3] for item in items.values())


def test_retell_is_signed_with_the_api_key() -> None:
    items = by_endpoint("retell_appointments")
    assert "Inbound call webhook URL" in items["client_data"][0]
    assert "call_analyzed" in items["post_call"][0]
    assert all(item[4] == "RETELL_API_KEY" and "X-Retell-Signature" in item[3] for item in items.values())


def test_generic_uses_the_api_key_header() -> None:
    items = by_endpoint("generic_voice_agent")
    assert {(item[2], item[4]) for item in items.values()} == {("X-API-Key", "GENERIC_API_KEY")}


def test_not_deployed_and_admin() -> None:
    settings = tenant_settings("acme", "generic_voice_agent", "gcp", {}, status="no stack")
    assert all(item.url is None for item in settings.paste)
    assert settings.admin["analytics_url"] is None
    deployed = tenant_settings("acme", "generic_voice_agent", "aws", OUTPUTS, references={"ADMIN_API_KEY": "file:k"})
    assert deployed.admin == {
        "analytics_url": f"{BASE}/analytics/agent",
        "header": "X-Admin-Key",
        "secret": "ADMIN_API_KEY",
        "reference": "file:k",
    }


def test_json_and_table_carry_the_same_facts() -> None:
    settings = [tenant_settings("acme", "elevenlabs_customer_support", "aws", OUTPUTS, status="created")]
    data = json.loads(json.dumps(settings_json(settings)))
    (tenant,) = data["tenants"]
    assert tenant["id"] == "acme" and tenant["provider"] == "elevenlabs" and tenant["status"] == "created"
    assert [item["url"] for item in tenant["paste"]] == [f"{BASE}/client-data", f"{BASE}/retrieve", f"{BASE}/post-call"]
    console = Console(width=200, record=True)
    console.print(settings_table(settings))
    text = console.export_text()
    for item in tenant["paste"]:
        assert item["url"] in text
    assert "X-Admin-Key" in text


@pytest.mark.parametrize("agent_type", ["elevenlabs_sales_agent", "vapi_receptionist", "retell_appointments"])
def test_every_enabled_endpoint_is_listed(agent_type: str) -> None:
    assert set(by_endpoint(agent_type)) == {"client_data", "retrieve", "post_call"}
