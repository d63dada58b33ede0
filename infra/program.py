"""The Pulumi program as a function: a validated ``StackConfig`` in, one memory service declared, its outputs back.

``infra/__main__.py`` calls it with the stack's config; the tenants provisioning calls it inside an
Automation API inline program. It declares nothing before the config is valid (``StackConfig`` checks the
agent type and the secrets when it is built), and it builds the handler bundle itself unless given one.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pulumi

from infra.aws import AwsMemoryService, AwsMemoryServiceArgs
from infra.bundle import Bundle, build_bundle
from infra.gcp import GcpMemoryService, GcpMemoryServiceArgs
from infra.naming import StackNames
from infra.spec import DASHBOARD_URLS
from infra.stack_config import StackConfig
from infra.wiring.resources import plan_wiring
from shared.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BUILD_DIR = REPO_ROOT / "build" / "bundle"
COMPONENT_NAME = "memory"


def stack_bundle(config: StackConfig, build_dir: Path = DEFAULT_BUILD_DIR) -> Bundle:
    """The code zip for either cloud; on AWS also the dependency layer (``layerZip``, absolute or relative to the
    project directory, reuses a prebuilt one, e.g. from CI)."""
    build_layer = config.cloud == "aws" and config.layer_zip is None
    bundle = build_bundle(build_dir, repo_root=REPO_ROOT, with_layer=build_layer)
    if config.cloud == "aws" and config.layer_zip is not None:
        layer = config.layer_zip if config.layer_zip.is_absolute() else REPO_ROOT / config.layer_zip
        if not layer.is_file():
            raise ConfigError(f"stack config layerZip: no file {layer}")
        bundle = dataclasses.replace(bundle, layer_zip=layer)
    return bundle


def check_plugins(config: StackConfig) -> None:
    """On AWS the processor plugins travel in the layer this program builds from what is installed where it runs
    (``infra.plugins``): a plugin the agent type names but not installed here would be missing from the layer, and no
    function could start. A prebuilt ``layerZip`` is trusted to carry its plugins."""
    if config.cloud != "aws" or config.layer_zip is not None:
        return
    from shared.processors.registry import installed, unknown

    missing = unknown(config.agent, installed())
    if missing:
        raise ConfigError(
            f"stack {config.stack!r}: agent type {config.agent_type!r} names the processor plugin(s) "
            f"{', '.join(missing)}, not installed where this program runs, so the Lambda layer would not carry them "
            "and no function could start: install the plugin into this environment (pip install ...), or set "
            "layerZip to a layer that has it"
        )


def _labels(config: StackConfig, names: StackNames) -> dict[str, str]:
    return {"app": "agentic-memory", "stack": names.slug, "agent-type": config.agent_type.replace("_", "-")}


def run_program(config: StackConfig, bundle: Bundle | None = None) -> dict[str, pulumi.Output[Any]]:
    """Declare the stack's memory service; returns the outputs to export (URLs for the platform's dashboard)."""
    check_plugins(config)
    bundle = bundle or stack_bundle(config)
    names = StackNames(config.stack)
    secrets = {name: pulumi.Output.secret(value) for name, value in config.deployed_secrets.items()}
    wiring = plan_wiring(config)  # opt-in: the platform ids in the stack config; its generated secrets join the store
    if wiring is not None:
        secrets.update(wiring.generated)
    if config.unused_secret_names:
        pulumi.log.warn(
            f"secrets not needed by agent type {config.agent_type!r}, not deployed: "
            f"{', '.join(config.unused_secret_names)}"
        )

    service: AwsMemoryService | GcpMemoryService
    if config.cloud == "aws":
        if bundle.layer_zip is None:
            raise ConfigError("AWS needs the dependency layer: build it (with_layer=True) or set layerZip")
        service = AwsMemoryService(
            COMPONENT_NAME,
            AwsMemoryServiceArgs(
                names=names,
                agent_type=config.agent_type,
                memory_backend=config.memory_backend,
                code_zip=bundle.code_zip,
                code_sha256=bundle.code_sha256,
                layer_zip=bundle.layer_zip,
                secrets=secrets,
                log_retention_days=config.log_retention_days,
                archive_retention_days=config.archive_retention_days,
                warm_instances=config.warm_instances,
                alert_email=config.alert_email,
                http_endpoint=config.http_endpoint,
                secret_recovery_window_days=config.secret_recovery_window_days,
                memory_recovery_days=config.memory_recovery_days,
                memory_deletion_protection=config.memory_deletion_protection,
                mem0_host=config.mem0_host,
                late_secrets=config.generated_secret_names,
                tags=_labels(config, names),
            ),
        )
    else:
        assert config.gcp_project is not None and config.gcp_region is not None  # checked by StackConfig
        service = GcpMemoryService(
            COMPONENT_NAME,
            GcpMemoryServiceArgs(
                names=names,
                project=config.gcp_project,
                region=config.gcp_region,
                agent_type=config.agent_type,
                memory_backend=config.memory_backend,
                code_zip=bundle.code_zip,
                code_sha256=bundle.code_sha256,
                secrets=secrets,
                log_retention_days=config.log_retention_days,
                archive_retention_days=config.archive_retention_days,
                warm_instances=config.warm_instances,
                alert_email=config.alert_email,
                memory_recovery_days=config.memory_recovery_days,
                memory_deletion_protection=config.memory_deletion_protection,
                mem0_host=config.mem0_host,
                labels=_labels(config, names),
            ),
        )

    base = service.base_url
    outputs: dict[str, pulumi.Output[Any]] = {
        "cloud": pulumi.Output.from_input(config.cloud),
        "agentType": pulumi.Output.from_input(config.agent_type),
        "bundleHash": pulumi.Output.from_input(bundle.code_sha256),
        "baseUrl": base,
        "healthUrl": base.apply(lambda url: f"{url}/healthz"),
        "archiveBucket": service.archive_bucket,
    }
    # what the dead-letter runbook (docs/operations.md) redrives: the SQS queue, or the Pub/Sub topic its hold reads
    if isinstance(service, AwsMemoryService):
        outputs["deadLetterQueueUrl"] = service.dead_letter_queue_url
    else:
        outputs["deadLetterTopic"] = service.dead_letter_topic
    for output_name, path in DASHBOARD_URLS.items():
        outputs[output_name] = pulumi.Output.concat(base, path)
    if wiring is not None:
        outputs.update(wiring.declare(COMPONENT_NAME, base))
    return outputs


__all__ = ["COMPONENT_NAME", "DEFAULT_BUILD_DIR", "REPO_ROOT", "check_plugins", "run_program", "stack_bundle"]
