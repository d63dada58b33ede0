"""Must show: two tenants on the mem0 backend with one ``MEM0_API_KEY`` share one Mem0 project, where a caller is the
Mem0 user of their user id. Unless each tenant pseudonymizes callers (under its own key), a caller of both is one
Mem0 user: an erasure in one tenant deletes their memories in the other, and a tenant of the same agent type reads
the other's. ``tenants validate`` said nothing; it now names the tenants (never the key)."""

from __future__ import annotations

import shutil
from pathlib import Path

from infra.tenants.checks import check_tenants
from infra.tenants.secrets import SecretResolver
from tests.conftest import pseudonymizing_config
from tests.tenants.conftest import REPO

SHARED_KEY = "tenantleak-one-mem0-project-key-0c1d"
TWO_TENANTS = """\
version: 1
tenants:
  - id: north-clinic
    agent_type: elevenlabs_customer_support
    cloud: aws
    region: us-east-1
    config: {{memoryBackend: mem0}}
    secrets: {{ELEVENLABS_WORKSPACE_KEY: env:N_WS, ELEVENLABS_HMAC_KEY: env:N_HMAC, ADMIN_API_KEY: env:N_ADMIN,
               MEM0_API_KEY: env:N_MEM0{north_extra}}}
  - id: south-clinic
    agent_type: elevenlabs_customer_support
    cloud: aws
    region: us-east-1
    config: {{memoryBackend: {south_backend}}}
    secrets: {{ELEVENLABS_WORKSPACE_KEY: env:S_WS, ELEVENLABS_HMAC_KEY: env:S_HMAC, ADMIN_API_KEY: env:S_ADMIN,
               MEM0_API_KEY: env:S_MEM0{south_extra}}}
"""
ENV = {
    "N_WS": "tenantleak-north-workspace-0001",
    "N_HMAC": "tenantleak-north-hmac-0002",
    "N_ADMIN": "tenantleak-north-admin-000000003",
    "S_WS": "tenantleak-south-workspace-0004",
    "S_HMAC": "tenantleak-south-hmac-0005",
    "S_ADMIN": "tenantleak-south-admin-000000006",
    "N_PSEUDO": "n" * 40,
    "S_PSEUDO": "s" * 40,
}


def _problems(tmp_path: Path, *, south_mem0: str, south_backend: str = "mem0", pseudonymize: bool = False) -> list[str]:
    extra = {"north_extra": "", "south_extra": ""}
    agent_types = REPO / "config" / "agent_types.json"
    if pseudonymize:
        extra = {
            "north_extra": ", PSEUDONYMIZATION_KEY: env:N_PSEUDO",
            "south_extra": ", PSEUDONYMIZATION_KEY: env:S_PSEUDO",
        }
        agent_types = pseudonymizing_config(tmp_path)
    path = tmp_path / "tenants.yaml"
    path.write_text(TWO_TENANTS.format(south_backend=south_backend, **extra))
    work_dir = tmp_path / "project"
    work_dir.mkdir(exist_ok=True)
    shutil.copy(REPO / "Pulumi.yaml", work_dir / "Pulumi.yaml")
    environ = {**ENV, "N_MEM0": SHARED_KEY, "S_MEM0": south_mem0}
    resolver = SecretResolver(environ=environ, base_dir=tmp_path)
    _, problems = check_tenants(path, work_dir=work_dir, agent_types_path=agent_types, resolver=resolver)
    assert not any(SHARED_KEY in problem for problem in problems)
    return problems


def test_two_tenants_on_one_mem0_project_without_pseudonyms_are_refused(tmp_path: Path) -> None:
    problems = _problems(tmp_path, south_mem0=SHARED_KEY)
    assert len(problems) == 1, problems
    assert problems[0].startswith("tenants 'north-clinic', 'south-clinic' share one MEM0_API_KEY (one Mem0 project)")
    assert "its own Mem0 project's key" in problems[0]


def test_each_tenant_with_its_own_mem0_key_is_fine(tmp_path: Path) -> None:
    assert _problems(tmp_path, south_mem0="tenantleak-another-mem0-project-9f8e") == []


def test_one_project_is_fine_when_each_tenant_pseudonymizes_under_its_own_key(tmp_path: Path) -> None:
    assert _problems(tmp_path, south_mem0=SHARED_KEY, pseudonymize=True) == []


def test_a_key_given_to_a_tenant_that_does_not_use_mem0_is_no_problem(tmp_path: Path) -> None:
    assert _problems(tmp_path, south_mem0=SHARED_KEY, south_backend="dynamodb") == []
