"""A three-tenant file with invented secrets, a throw-away Pulumi project folder, and the infra mock harness.

The Pulumi program's own fixtures (``mocks``, ``use_stack``, ``bundle``) are re-exported from
``tests/infra/conftest.py`` so the tenants' programs run under exactly the same mocks.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from infra.tenants.models import TenantsFile, load_tenants
from infra.tenants.secrets import SecretResolver
from infra.tenants.stacks import TenantStack, plan_stacks
from shared.secrets import Secret
from tests.infra.conftest import bundle, mocks, use_stack  # noqa: F401  (fixtures shared with the program's tests)

REPO = Path(__file__).resolve().parents[2]

THREE_TENANTS = """\
version: 1
defaults:
  config:
    logRetentionDays: 14
tenants:
  - id: acme-support
    agent_type: elevenlabs_customer_support
    cloud: aws
    region: us-east-1
    config:
      warmInstances: 1
    secrets:
      ELEVENLABS_WORKSPACE_KEY: env:ACME_WORKSPACE_KEY
      ELEVENLABS_HMAC_KEY: env:ACME_HMAC_KEY
      ADMIN_API_KEY: env:ACME_ADMIN_KEY
      MEM0_API_KEY: env:ACME_MEM0_KEY
  - id: globex-sales
    agent_type: elevenlabs_sales_agent
    cloud: aws
    region: eu-west-1
    config:
      httpEndpoint: url
    secrets:
      ELEVENLABS_WORKSPACE_KEY: env:GLOBEX_WORKSPACE_KEY
      ELEVENLABS_HMAC_KEY: env:GLOBEX_HMAC_KEY
      ADMIN_API_KEY: file:secrets/globex-admin
      MEM0_API_KEY: env:GLOBEX_MEM0_KEY
  - id: initech-desk
    agent_type: generic_voice_agent
    cloud: gcp
    project: am-test-project
    region: europe-west1
    config:
      memoryBackend: firestore
    secrets:
      GENERIC_API_KEY: env:INITECH_GENERIC_KEY
      ADMIN_API_KEY: env:INITECH_ADMIN_KEY
"""

# Invented, recognisable values: a test fails if one shows up where it must not.
SECRET_ENV = {
    "ACME_WORKSPACE_KEY": "tenantleak-acme-workspace-1a2b",
    "ACME_HMAC_KEY": "tenantleak-acme-hmac-3c4d",
    "ACME_ADMIN_KEY": "tenantleak-acme-admin-5e6f",
    "ACME_MEM0_KEY": "tenantleak-acme-mem0-7a8b",
    "GLOBEX_WORKSPACE_KEY": "tenantleak-globex-workspace-9c0d",
    "GLOBEX_HMAC_KEY": "tenantleak-globex-hmac-1e2f",
    "GLOBEX_MEM0_KEY": "tenantleak-globex-mem0-3a4b",
    "INITECH_GENERIC_KEY": "tenantleak-initech-generic-5c6d",
    "INITECH_ADMIN_KEY": "tenantleak-initech-admin-7e8f",
}
GLOBEX_ADMIN_FILE_VALUE = "tenantleak-globex-admin-file-9a0b"
ALL_SECRET_VALUES = [*SECRET_ENV.values(), GLOBEX_ADMIN_FILE_VALUE]
TENANT_IDS = ("acme-support", "globex-sales", "initech-desk")


@dataclass
class Plan:
    path: Path
    file: TenantsFile
    stacks: list[TenantStack]
    secrets: dict[str, dict[str, Secret]]
    work_dir: Path

    def stack(self, tenant_id: str) -> TenantStack:
        return next(stack for stack in self.stacks if stack.name == tenant_id)


def write_tenants(folder: Path, text: str = THREE_TENANTS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "secrets").mkdir(exist_ok=True)
    (folder / "secrets" / "globex-admin").write_text(GLOBEX_ADMIN_FILE_VALUE + "\n")
    path = folder / "tenants.yaml"
    path.write_text(text)
    return path


def make_plan(tmp_path: Path, text: str = THREE_TENANTS) -> Plan:
    """Tenants file, validated stacks and resolved secrets, and a project folder holding only ``Pulumi.yaml``."""
    path = write_tenants(tmp_path / "tenants", text)
    work_dir = tmp_path / "project"
    work_dir.mkdir(exist_ok=True)
    shutil.copy(REPO / "Pulumi.yaml", work_dir / "Pulumi.yaml")
    tenants_file = load_tenants(path)
    stacks = plan_stacks(tenants_file, tenants_file.tenants)
    secrets = SecretResolver(environ=SECRET_ENV, base_dir=path.parent).resolve_all(tenants_file.tenants)
    return Plan(path, tenants_file, stacks, secrets, work_dir)


@pytest.fixture
def plan(tmp_path: Path) -> Plan:
    return make_plan(tmp_path)
