"""``tenants validate``: every problem of a tenants file that can be found without Pulumi, in one run.

The file's fields, duplicate ids and agent types (``survey_tenants``), then, for every tenant valid on its own,
what the program would refuse in its stack config, which secret references do not resolve, an admin key the
functions would keep shut (equal to another secret of the tenant), a pseudonymization key they would refuse (too
short), and a key that must be a tenant's own but is another tenant's too. Only a file that
cannot be read, or a Pulumi project without a name, stops the checks early (nothing further can be known).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from infra.tenants.errors import SecretReferenceError, TenantsFileError
from infra.tenants.models import Defaults, Tenant, read_tenants, survey_tenants
from infra.tenants.secrets import SecretResolver
from infra.tenants.stacks import TenantStack, project_name, stack_problems, tenant_stack
from shared.admin import admin_key_problem
from shared.errors import ConfigError
from shared.keyed_hash import long_enough
from shared.secrets import Secret

# Keys no two tenants may share: one tenant's admin key would open another's callers, and one pseudonymization key
# would give a caller the same stored id in both tenants' stores (linkable across clients).
OWN_KEYS = ("ADMIN_API_KEY", "PSEUDONYMIZATION_KEY")


def _defaults(data: Any) -> Mapping[str, str | int]:
    """The file's defaults when they are valid on their own (else their error is listed already)."""
    try:
        return Defaults.model_validate((data.get("defaults") if isinstance(data, dict) else None) or {}).config
    except ValidationError:
        return {}


def _selected(tenants: list[Tenant], only: Sequence[str]) -> list[Tenant]:
    return [tenant for tenant in tenants if not only or tenant.id in only]


def check_tenants(
    path: Path,
    *,
    only: Sequence[str] = (),
    work_dir: Path,
    agent_types_path: Path,
    resolver: SecretResolver | None,
) -> tuple[list[TenantStack], list[str]]:
    """The selected tenants' stacks and every problem found (an empty list: valid). ``resolver=None`` leaves the
    secret references unresolved. Raises ``TenantsFileError`` only when the file cannot be read at all."""
    data = read_tenants(path)
    parsed, valid, problems = survey_tenants(data, source=str(path), agent_types_path=agent_types_path)
    if parsed is not None:
        try:
            tenants = [tenant for tenant in parsed.select(only) if tenant in valid]
        except TenantsFileError as exc:
            return [], [*problems, str(exc)]
        defaults: Mapping[str, str | int] = parsed.defaults.config
    else:
        tenants, defaults = _selected(valid, only), _defaults(data)
    try:
        project = project_name(work_dir)
    except TenantsFileError as exc:
        return [], [*problems, str(exc)]
    stacks = [tenant_stack(tenant, defaults=defaults, project=project) for tenant in tenants]
    problems += stack_problems(stacks, agent_types_path=agent_types_path)
    if resolver is not None:
        try:
            resolved = resolver.resolve_all(tenants)
        except SecretReferenceError as exc:
            problems += str(exc).splitlines()
        else:
            problems += _admin_key_problems(resolved) + _own_key_problems(resolved)
            problems += _shared_mem0_problems(stacks, resolved, agent_types_path)
    return stacks, problems


def _admin_key_problems(resolved: Mapping[str, Mapping[str, Secret]]) -> list[str]:
    """What the deployed function would log at every start, keeping the tenant's admin API shut (never a value)."""
    found = []
    for tenant_id, secrets in resolved.items():
        others = {name: secret for name, secret in secrets.items() if name != "ADMIN_API_KEY"}
        problem = admin_key_problem(secrets.get("ADMIN_API_KEY"), others)
        if problem:
            found.append(f"tenant {tenant_id!r}: {problem}")
    return found


def _own_key_problems(resolved: Mapping[str, Mapping[str, Secret]]) -> list[str]:
    """A pseudonymization key the functions would refuse to start with, and a key two tenants share (never a
    value)."""
    found = []
    for tenant_id, secrets in resolved.items():
        key = secrets.get("PSEUDONYMIZATION_KEY")
        if key:
            try:
                long_enough("PSEUDONYMIZATION_KEY", key)
            except ConfigError as exc:
                found.append(f"tenant {tenant_id!r}: {exc}")
    for name in OWN_KEYS:
        holders: dict[Secret, list[str]] = {}
        for tenant_id, secrets in resolved.items():
            if secret := secrets.get(name):
                holders.setdefault(secret, []).append(tenant_id)
        for tenants in holders.values():
            if len(tenants) > 1:
                found.append(f"tenants {', '.join(map(repr, tenants))} share one {name}: each needs its own")
    return found


def _shared_mem0_problems(
    stacks: Sequence[TenantStack], resolved: Mapping[str, Mapping[str, Secret]], agent_types_path: Path
) -> list[str]:
    """Tenants on the mem0 backend with one ``MEM0_API_KEY`` share one Mem0 project, where a caller is the Mem0 user
    of their user id: unless each tenant stores callers under its own pseudonyms, a caller of two tenants is one
    user, whose memories either tenant's erasure deletes in both (and a tenant of the same agent type reads the
    other's). Said, never shown."""
    holders: dict[Secret, list[str]] = {}
    plain: set[str] = set()
    for stack in stacks:
        key = resolved.get(stack.name, {}).get("MEM0_API_KEY")
        if key is None:
            continue
        try:
            config = stack.stack_config(
                {name: secret.reveal() for name, secret in resolved[stack.name].items()},
                agent_types_path=agent_types_path,
            )
        except ConfigError:  # listed already by ``stack_problems``
            continue
        if config.memory_backend != "mem0":
            continue
        holders.setdefault(key, []).append(stack.name)
        if not config.agent.identity.pseudonymize:
            plain.add(stack.name)
    return [
        f"tenants {', '.join(map(repr, tenants))} share one MEM0_API_KEY (one Mem0 project) and "
        f"{', '.join(repr(t) for t in tenants if t in plain)} do not pseudonymize callers: a caller of both would be "
        "one Mem0 user, erased in both by either's erasure; give each tenant its own Mem0 project's key, or "
        "identity.pseudonymize with its own PSEUDONYMIZATION_KEY"
        for tenants in holders.values()
        if len(tenants) > 1 and plain.intersection(tenants)
    ]


__all__ = ["OWN_KEYS", "check_tenants"]
