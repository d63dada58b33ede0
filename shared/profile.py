"""An agent type resolved for running: the config with its provider's defaults filled in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shared.config.loader import DEFAULT_CONFIG_PATH, load_agent_type
from shared.config.models import ENDPOINTS, AgentType, EndpointAuth, WebhooksConfig
from shared.errors import ConfigError
from shared.fields import FieldMapper
from shared.providers import provider_class
from shared.providers.base import Provider


@dataclass(frozen=True)
class AgentProfile:
    name: str
    config: AgentType
    provider: Provider
    auth: dict[str, EndpointAuth]
    webhooks: WebhooksConfig
    fields: dict[str, FieldMapper]
    response_format: str
    pre_call_deadline_ms: int  # the platform's; an agent type's ``response.deadline_ms`` replaces it

    def enabled(self, endpoint: str) -> bool:
        return bool(getattr(self.webhooks, endpoint))


def resolve_profile(name: str, config: AgentType, source: str | Path | None = None) -> AgentProfile:
    """``source``: the file the agent type came from, named in an error as every other config error names it."""
    cls = provider_class(config.provider)
    defaults = cls.defaults()
    problems = cls.check_events(config) + cls.check_config(config)
    if config.response.format not in (None, defaults.response_format):  # a provider answers in its own format only
        problems.insert(
            0,
            f"response.format: {config.response.format!r} is not the format a {config.provider} agent type answers in "
            f"({defaults.response_format!r}); leave it out",
        )
    if problems:
        where = f"{source}: " if source is not None else ""
        raise ConfigError(f"{where}agent type {name!r}: " + "; ".join(problems))
    configured_auth = config.auth
    auth: dict[str, EndpointAuth] = {
        endpoint: (getattr(configured_auth, endpoint, None) if configured_auth else None) or defaults.auth[endpoint]
        for endpoint in ENDPOINTS
    }
    webhooks = config.webhooks or defaults.webhooks
    if not webhooks.ingest_events:
        webhooks = webhooks.model_copy(update={"ingest_events": defaults.webhooks.ingest_events})
    fields: dict[str, FieldMapper] = {}
    for endpoint in ENDPOINTS:
        paths = dict(defaults.field_mappings.get(endpoint, {}))
        paths.update(getattr(config.field_mappings, endpoint))
        fields[endpoint] = FieldMapper(paths)
    return AgentProfile(
        name=name,
        config=config,
        provider=cls(),
        auth=auth,
        webhooks=webhooks,
        fields=fields,
        response_format=config.response.format or defaults.response_format,
        pre_call_deadline_ms=defaults.pre_call_deadline_ms,
    )


def load_profile(name: str, config_path: str | Path | None = None) -> AgentProfile:
    return resolve_profile(name, load_agent_type(name, config_path), config_path or DEFAULT_CONFIG_PATH)
