"""What each tenant pastes into its voice platform: which URL goes in which field, which header carries which secret.

Built from the stack's outputs (the URLs) and the tenant's agent type (its provider and, per endpoint, the
authentication scheme, header and secret *name*). A secret value never appears here: the operator is
told which secret (as named in the tenants file) belongs in which header or credential.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from shared.config.loader import DEFAULT_CONFIG_PATH, load_agent_types
from shared.config.models import ENDPOINTS, EndpointAuth

# Endpoint -> stack output holding its URL (infra/spec.py DASHBOARD_URLS).
ENDPOINT_OUTPUTS: dict[str, str] = {"client_data": "preCallUrl", "retrieve": "toolUrl", "post_call": "postCallUrl"}

# Provider -> endpoint -> where in the platform the URL goes.
PLATFORM_FIELDS: dict[str, dict[str, str]] = {
    "elevenlabs": {
        "client_data": "Agents settings > Conversation initiation client data webhook > URL "
        "(and the agent's Security tab: fetch conversation initiation data for inbound calls)",
        "retrieve": "Agent > Tools > Add tool > Webhook > URL, method POST "
        "(caller_id from dynamic variable system__caller_id, query from the LLM)",
        "post_call": "Agents settings > Post-call webhook > URL (transcription events)",
    },
    "vapi": {
        "client_data": "Phone Numbers > the number > Server URL (no assistant on the number: assistant-request)",
        "retrieve": "Tools > the memory function tool > Server URL",
        "post_call": "Assistant > Advanced > Server URL, server messages include end-of-call-report",
    },
    "retell": {
        "client_data": "Phone Numbers > the number > Inbound call webhook URL",
        "retrieve": "Agent > Functions > Custom function > URL",
        "post_call": "Agent > Webhook settings > Agent level webhook URL (call_analyzed)",
    },
    "generic": {
        "client_data": "your platform's pre-call (session start) webhook URL",
        "retrieve": "your platform's in-call memory search tool URL",
        "post_call": "your platform's post-call (call ended) webhook URL",
    },
}
ADMIN_HEADER = "X-Admin-Key"
ADMIN_SECRET = "ADMIN_API_KEY"


def describe_auth(auth: EndpointAuth | None, references: Mapping[str, str] | None = None) -> str:
    """One line: which header carries which secret (by name and tenants-file reference), or who signs with it."""
    if auth is None:
        return "see the agent type's auth config"
    reference = (references or {}).get(auth.secret)
    secret = f"{auth.secret} ({reference})" if reference else auth.secret
    if auth.scheme == "header":
        return f"header {auth.header}: the value of {secret}"
    if auth.scheme == "bearer_or_header":
        return f"credential Bearer token = {secret} (Authorization: Bearer ..., or header {auth.header})"
    if auth.scheme == "elevenlabs_hmac":
        return (
            f"signed by ElevenLabs ({auth.header or 'ElevenLabs-Signature'}): put the webhook's HMAC secret in {secret}"
        )
    if auth.scheme == "retell_signature":
        return f"signed by Retell (X-Retell-Signature) with the webhook-badged API key = {secret}"
    options = auth.hmac
    if options is None:
        return f"HMAC with {secret}"
    timestamp = f", timestamp header {options.timestamp_header}" if options.timestamp_header else ""
    return (
        f"HMAC credential: secret {secret}, {options.algorithm}, {options.encoding}, signature header "
        f"{options.signature_header}{timestamp}, payload {options.payload_format}"
    )


@dataclass(frozen=True)
class PasteItem:
    endpoint: str
    field: str
    url: str | None
    auth: str
    header: str | None
    secret: str | None


@dataclass
class TenantSettings:
    tenant_id: str
    agent_type: str
    provider: str
    cloud: str
    status: str
    urls: dict[str, Any] = field(default_factory=dict)
    paste: list[PasteItem] = field(default_factory=list)
    admin: dict[str, str | None] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["id"] = data.pop("tenant_id")
        return data


def _endpoint_auth(agent_type: str, agent_types_path: Path) -> tuple[str, dict[str, EndpointAuth | None], set[str]]:
    """Provider, auth per endpoint (provider defaults filled in) and enabled endpoints of an agent type."""
    config = load_agent_types(agent_types_path).agent_types[agent_type]
    try:
        from shared.profile import resolve_profile

        profile = resolve_profile(agent_type, config)
    except ImportError:  # a provider module not installed: show what the config file says
        configured = config.auth
        auth: dict[str, EndpointAuth | None] = {
            endpoint: getattr(configured, endpoint, None) if configured else None for endpoint in ENDPOINTS
        }
        return str(config.provider), auth, set(ENDPOINTS)
    enabled: set[str] = {endpoint for endpoint in ENDPOINTS if profile.enabled(endpoint)}
    return str(config.provider), dict(profile.auth), enabled


def tenant_settings(
    tenant_id: str,
    agent_type: str,
    cloud: str,
    outputs: Mapping[str, Any],
    *,
    status: str = "",
    references: Mapping[str, str] | None = None,
    agent_types_path: Path = DEFAULT_CONFIG_PATH,
) -> TenantSettings:
    """The paste list of one tenant; ``references`` (secret name -> ``env:``/``file:``) say where each secret is."""
    provider, auth, enabled = _endpoint_auth(agent_type, agent_types_path)
    fields = PLATFORM_FIELDS.get(provider, PLATFORM_FIELDS["generic"])
    paste = []
    for endpoint in ENDPOINTS:
        if endpoint not in enabled:
            continue
        endpoint_auth = auth.get(endpoint)
        url = outputs.get(ENDPOINT_OUTPUTS[endpoint])
        paste.append(
            PasteItem(
                endpoint=endpoint,
                field=fields[endpoint],
                url=str(url) if url else None,
                auth=describe_auth(endpoint_auth, references),
                header=endpoint_auth.header if endpoint_auth else None,
                secret=endpoint_auth.secret if endpoint_auth else None,
            )
        )
    base = outputs.get("baseUrl")
    admin = {
        "analytics_url": f"{base}/analytics/agent" if base else None,
        "header": ADMIN_HEADER,
        "secret": ADMIN_SECRET,
        "reference": (references or {}).get(ADMIN_SECRET),
    }
    return TenantSettings(tenant_id, agent_type, provider, cloud, status, dict(outputs), paste, admin)


def settings_json(settings: Sequence[TenantSettings]) -> dict[str, Any]:
    return {"tenants": [item.as_json() for item in settings]}


def settings_table(settings: Sequence[TenantSettings]) -> Any:
    """A rich Table: one row per URL to paste."""
    from rich.table import Table

    table = Table(title="Paste into each platform", show_lines=True)
    urls = [paste.url or "" for item in settings for paste in item.paste]
    urls += [str(item.admin.get("analytics_url") or "") for item in settings]
    table.add_column("Tenant", overflow="fold")
    table.add_column("Platform field", overflow="fold")
    table.add_column("URL", overflow="fold", min_width=max(map(len, urls), default=0))  # kept whole for copying
    table.add_column("Authentication", overflow="fold")
    for item in settings:
        label = f"{item.tenant_id}\n{item.provider} / {item.cloud}"
        if not item.paste:
            table.add_row(label, "-", "-", "-")
        for paste in item.paste:
            table.add_row(label, paste.field, paste.url or "(not deployed)", paste.auth)
            label = ""
        if item.admin.get("analytics_url"):
            secret = ADMIN_SECRET + (f" ({item.admin['reference']})" if item.admin.get("reference") else "")
            table.add_row(
                "",
                "Admin and analytics API",
                str(item.admin["analytics_url"]),
                f"header {ADMIN_HEADER}: the value of {secret}",
            )
    return table


__all__ = [
    "ENDPOINT_OUTPUTS",
    "PLATFORM_FIELDS",
    "PasteItem",
    "TenantSettings",
    "describe_auth",
    "settings_json",
    "settings_table",
    "tenant_settings",
]
