"""The wiring resources and the program's hook: which platform the stack config names, and its resource.

``plan_wiring(config)`` is called before the memory service is declared: for ElevenLabs it returns the
HMAC key as a deferred Output, so the service's secret store can take it before the webhook that generates
it exists (the webhook needs the service's URL). ``StackWiring.declare(base_url)`` then declares the
resource and resolves that Output with the resource's ``webhook_secret``: a Pulumi secret end to end.

On Cloud Functions the function pins each secret's version, so the function cannot wait for a webhook that
waits for the function's URL: the wiring there uses Cloud Run's deterministic URL of the HTTP function
(``https://<service>-<project number>.<region>.run.app``), which is known before the function exists. On AWS an
HTTP API's URL exists before the functions; a Function URL does not, so there the HTTP function does not wait for
the secret the webhook's key goes into (``late_secrets`` of ``infra.aws``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from infra.naming import StackNames
from infra.stack_config import StackConfig
from infra.wiring.checks import GENERATED_SECRETS
from infra.wiring.providers import WiringProvider

# Every output that holds a key, a secret or earlier settings (which may hold someone's old header values).
SECRET_OUTPUTS = ["api_key", "workspace_key", "secret", "state", "webhook_secret"]


class ElevenLabsWiring(Resource, module="elevenlabs", name="Wiring"):
    webhook_secret: pulumi.Output[str]
    state: pulumi.Output[Any]


class VapiWiring(Resource, module="vapi", name="Wiring"):
    state: pulumi.Output[Any]


class RetellWiring(Resource, module="retell", name="Wiring"):
    state: pulumi.Output[Any]


RESOURCES: dict[str, type[Resource]] = {"elevenlabs": ElevenLabsWiring, "vapi": VapiWiring, "retell": RetellWiring}


def _inputs(config: StackConfig, base_url: pulumi.Input[str]) -> dict[str, dict[str, Any]]:
    """Platform -> the resource's inputs, for each platform the config names (at most the agent type's one)."""
    secret = config.secrets.get
    auth = config.wiring_auth  # the header and secret the agent type checks (infra.stack_config)
    out: dict[str, dict[str, Any]] = {}
    if config.elevenlabs_agent_id:
        out["elevenlabs"] = {
            "agent_id": config.elevenlabs_agent_id,
            "api_key": secret("ELEVENLABS_API_KEY"),
            "workspace_key": secret(auth.secret),
            "header": auth.header,
            "first_message": config.agent.response.send_first_message,
            "prompt": bool(config.agent.response.prompt_override),
        }
    if config.vapi_phone_number_id:
        out["vapi"] = {
            "phone_number_id": config.vapi_phone_number_id,
            "assistant_id": config.vapi_assistant_id,
            "answer_assistant_id": config.agent.response.assistant_id,
            "api_key": secret("VAPI_API_KEY"),
            "secret": secret(auth.secret),
            "header": auth.header,
        }
    if config.retell_agent_id:
        out["retell"] = {
            "agent_id": config.retell_agent_id,
            "phone_number": config.retell_phone_number,
            "api_key": secret("RETELL_API_KEY"),
        }
    for props in out.values():
        props["base_url"] = base_url
        for key in ("api_key", "workspace_key", "secret"):
            if key in props:
                props[key] = pulumi.Output.secret(props[key])
    return out


def wiring_base_url(config: StackConfig, service_base: pulumi.Output[str]) -> pulumi.Output[str]:
    """The URL the platforms are given: the service's own, or on GCP its deterministic Cloud Run URL (above)."""
    if config.cloud != "gcp":
        return service_base
    import pulumi_gcp as gcp

    service = StackNames(config.stack).name("http")
    project = gcp.organizations.get_project_output(project_id=config.gcp_project)
    return project.number.apply(lambda number: f"https://{service}-{number}.{config.gcp_region}.run.app")


@dataclass
class StackWiring:
    """The wiring a stack's config asks for; ``generated`` holds the secrets it will produce (deferred)."""

    config: StackConfig
    generated: dict[str, pulumi.Output[str]] = field(default_factory=dict)
    _resolvers: dict[str, Callable[[pulumi.Output[str]], None]] = field(default_factory=dict)

    def declare(self, name: str, base_url: pulumi.Output[str]) -> dict[str, pulumi.Output[Any]]:
        """Declare one resource per configured platform; returns outputs to export (never a secret in clear)."""
        exports: dict[str, pulumi.Output[Any]] = {}
        for platform, props in _inputs(self.config, wiring_base_url(self.config, base_url)).items():
            resource = RESOURCES[platform](
                WiringProvider(platform),
                f"{name}-{platform}-wiring",
                {**props, "state": None, "webhook_secret": None},
                pulumi.ResourceOptions(additional_secret_outputs=SECRET_OUTPUTS),
            )
            exports[f"{platform}Wired"] = resource.id
            generated = GENERATED_SECRETS.get(platform)
            if generated is not None:
                self._resolvers.pop(generated)(pulumi.Output.secret(resource.webhook_secret))  # type: ignore[attr-defined]
        return exports


def plan_wiring(config: StackConfig) -> StackWiring | None:
    """``None`` unless the config names a platform's agent or number: then nothing of the wiring is declared."""
    if not (config.elevenlabs_agent_id or config.vapi_phone_number_id or config.retell_agent_id):
        return None
    wiring = StackWiring(config)
    for name in sorted(config.generated_secret_names):
        output, resolve = pulumi.deferred_output()
        wiring.generated[name] = output
        wiring._resolvers[name] = resolve
    return wiring


__all__ = ["RESOURCES", "ElevenLabsWiring", "RetellWiring", "StackWiring", "VapiWiring", "plan_wiring"]
