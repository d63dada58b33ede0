"""A tenant as a stack: the exact config keys the orchestrator writes and the program reads.

One mapping serves both sides. The orchestrator writes ``plain`` with ``config set-all`` and each key of
``secret_keys`` with ``config set --secret`` (value on stdin); ``infra/__main__.py`` reads them back through
``read_stack_config``; ``stack_config()`` builds the same ``StackConfig`` in process (mocks, preflight).
``<project>:tenant`` marks a stack config file as written by this tool, so a tenant can never overwrite
a hand-made stack such as ``Pulumi.dev.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.stack_config import (
    AWS_ONLY_KEYS,
    PLAIN_KEYS,
    SECRET_CONFIG_KEYS,
    TENANT_MARKER,
    StackConfig,
    build_stack_config,
)
from infra.tenants.errors import TenantsFileError
from infra.tenants.models import Tenant, TenantsFile
from shared.config.loader import DEFAULT_CONFIG_PATH
from shared.errors import ConfigError

DEFAULT_PROJECT = "agentic-memory"
PROVIDER_KEYS = ("aws:region", "gcp:project", "gcp:region")
_PLACEHOLDER = "placeholder-for-validation"


def project_name(work_dir: Path) -> str:
    """The project's name from ``Pulumi.yaml``: the namespace of every config key."""
    import yaml

    path = work_dir / "Pulumi.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TenantsFileError(f"{path}: cannot read the Pulumi project file") from exc
    name = data.get("name") if isinstance(data, dict) else None
    if not isinstance(name, str) or not name:
        raise TenantsFileError(f"{path}: no project name")
    return name


@dataclass(frozen=True)
class TenantStack:
    tenant: Tenant
    project: str
    plain: dict[str, str]
    secret_keys: dict[str, str]  # full config key -> secret name

    @property
    def name(self) -> str:
        return self.tenant.id

    @property
    def managed_keys(self) -> frozenset[str]:
        """Every key this tool may write; one of them left over from an older tenants file is removed."""
        own = [*PLAIN_KEYS, TENANT_MARKER, *SECRET_CONFIG_KEYS.values()]
        return frozenset([f"{self.project}:{key}" for key in own] + list(PROVIDER_KEYS))

    def values(self, secrets: Mapping[str, Any]) -> dict[str, Any]:
        """The values ``read_stack_config`` would collect from this stack's config (secrets by secret name)."""
        prefix = f"{self.project}:"
        values: dict[str, Any] = {"stack": self.name}
        for key, value in self.plain.items():
            if key.startswith(prefix):
                short = key[len(prefix) :]
                if short in PLAIN_KEYS:
                    values[short] = value
            else:
                values[key] = value
        values["secrets"] = {name: secrets[name] for name in self.secret_keys.values() if name in secrets}
        return values

    def stack_config(self, secrets: Mapping[str, Any], *, agent_types_path: Path = DEFAULT_CONFIG_PATH) -> StackConfig:
        """The program's validated config for this tenant (raises ``ConfigError`` naming what is wrong)."""
        values = self.values(secrets)
        values["agent_types_path"] = agent_types_path
        return build_stack_config(values, project=self.project)


def tenant_stack(
    tenant: Tenant, *, defaults: Mapping[str, str | int] | None = None, project: str = DEFAULT_PROJECT
) -> TenantStack:
    shared = dict(defaults or {})
    if tenant.cloud != "aws":  # the file's defaults serve tenants of both clouds: AWS's own keys go to AWS's only
        shared = {key: value for key, value in shared.items() if key not in AWS_ONLY_KEYS}
    config = {**shared, **tenant.config}
    plain = {
        f"{project}:{TENANT_MARKER}": tenant.id,
        f"{project}:cloud": tenant.cloud,
        f"{project}:agentType": tenant.agent_type,
    }
    plain.update({f"{project}:{key}": str(value) for key, value in sorted(config.items())})
    if tenant.cloud == "aws":
        plain["aws:region"] = str(tenant.region)
    else:
        plain["gcp:project"] = str(tenant.project)
        plain["gcp:region"] = str(tenant.region)
    secret_keys = {f"{project}:{SECRET_CONFIG_KEYS[name]}": name for name in sorted(tenant.secrets)}
    return TenantStack(tenant=tenant, project=project, plain=plain, secret_keys=secret_keys)


def plan_stacks(
    tenants_file: TenantsFile,
    tenants: list[Tenant],
    *,
    project: str = DEFAULT_PROJECT,
    agent_types_path: Path = DEFAULT_CONFIG_PATH,
) -> list[TenantStack]:
    """Each tenant as a stack, checked as the program will check it (required secrets, config values) first."""
    stacks = [tenant_stack(tenant, defaults=tenants_file.defaults.config, project=project) for tenant in tenants]
    problems = stack_problems(stacks, agent_types_path=agent_types_path)
    if problems:
        raise TenantsFileError("\n".join(problems))
    return stacks


def stack_problems(stacks: list[TenantStack], *, agent_types_path: Path = DEFAULT_CONFIG_PATH) -> list[str]:
    """What the program would refuse in each stack's config (required secrets, config values), every stack."""
    problems = []
    for stack in stacks:
        placeholders = {name: _PLACEHOLDER for name in stack.secret_keys.values()}
        try:
            stack.stack_config(placeholders, agent_types_path=agent_types_path)
        except ConfigError as exc:
            problems.append(f"tenant {stack.name!r}: {exc}")
    return problems


__all__ = [
    "DEFAULT_PROJECT",
    "TENANT_MARKER",
    "TenantStack",
    "plan_stacks",
    "project_name",
    "stack_problems",
    "tenant_stack",
]
