"""Must show 2: each tenant's program, under Pulumi's mocks (``preview=False``), declares that tenant's resources.

Two ways, both through the Pulumi program's own harness (``tests/infra``: its recording mocks, ``use_stack``,
the bundle fixture and its ``check_declared``):

* ``tenant_program``: the program function for the tenant, in process;
* the config the orchestrator actually wrote for the tenant (recorded by the fake CLI, secrets decrypted)
  fed to ``infra/__main__.py`` exactly as Pulumi runs it (cwd ``infra/``), so what is written is what is read.
"""

from __future__ import annotations

import runpy
import sys
import zipfile
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime.settings import get_root_resource

from infra.bundle import Bundle
from infra.naming import stack_slug
from infra.stack_config import StackConfig
from infra.tenants.orchestrator import Orchestrator
from infra.tenants.program import tenant_program
from infra.tenants.results import Operation
from tests.infra.conftest import RecordingMocks, Walk, after_all, unwrap
from tests.infra.test_program import check_declared
from tests.tenants.conftest import ALL_SECRET_VALUES, TENANT_IDS, Plan
from tests.tenants.fake_pulumi import FakePulumiCommand

INFRA = Path(__file__).resolve().parents[2] / "infra"
FUNCTION_TYPES = {"aws": "aws:lambda/function:Function", "gcp": "gcp:cloudfunctionsv2/function:Function"}


def check_tenant(
    mocks: RecordingMocks, plan: Plan, tenant_id: str, outputs: dict[str, Any], bundle: Bundle | None
) -> None:
    """The tenant's own service: right cloud and agent type, its config applied, names carry its id, secrets wrapped."""
    stack = plan.stack(tenant_id)
    tenant = stack.tenant
    config: StackConfig = stack.stack_config(
        {name: secret.reveal() for name, secret in plan.secrets[tenant_id].items()}
    )
    if bundle is not None:
        check_declared(mocks, config, outputs, bundle)  # the program's own expected resource table
    assert outputs["cloud"] == tenant.cloud and outputs["agentType"] == tenant.agent_type
    types = {resource.typ for resource in mocks.resources}
    other = "gcp" if tenant.cloud == "aws" else "aws"
    assert f"agentic-memory:{tenant.cloud}:MemoryService" in types
    assert not any(typ.startswith(f"{other}:") for typ in types)

    slug = stack_slug(tenant_id)
    functions = sorted(fn.inputs["name"] for fn in mocks.of_type(FUNCTION_TYPES[tenant.cloud]))
    assert functions == [f"am-{slug}-http", f"am-{slug}-sweeper", f"am-{slug}-worker"]

    # the tenant's config overrides reached its resources
    if tenant.cloud == "aws":
        retention = {group.inputs["retentionInDays"] for group in mocks.of_type("aws:cloudwatch/logGroup:LogGroup")}
        assert retention == {14}  # from the file's defaults
    if tenant_id == "acme-support":
        (warm,) = mocks.of_type("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig")
        assert warm.inputs["provisionedConcurrentExecutions"] == 1
    if tenant_id == "globex-sales":
        assert len(mocks.of_type("aws:lambda/functionUrl:FunctionUrl")) == 1
        assert outputs["preCallUrl"].endswith(".on.aws/client-data")
    if tenant_id == "initech-desk":
        envs = [fn.inputs["serviceConfig"]["environmentVariables"] for fn in mocks.of_type(FUNCTION_TYPES["gcp"])]
        assert {env["MEMORY_BACKEND"] for env in envs} == {"firestore"}
        assert {env["AGENT_TYPE"] for env in envs} == {"generic_voice_agent"}

    # no secret value in any input as plain text; the tenant's own values appear only wrapped as secrets
    walk = Walk()
    for resource in mocks.resources:
        walk.visit(resource.inputs)
    assert not any(value in text for text in walk.plain for value in ALL_SECRET_VALUES)
    own = {plan.secrets[tenant_id][name].reveal() for name in config.required_secret_names}
    assert all(any(value in text for text in walk.secret) for value in own)  # AWS: inside one JSON secret string
    others = set(ALL_SECRET_VALUES) - {secret.reveal() for secret in plan.secrets[tenant_id].values()}
    assert not any(value in text for text in walk.secret for value in others)


@pytest.mark.parametrize("tenant_id", TENANT_IDS)
@pulumi.runtime.test
def test_each_tenant_program_declares_that_tenants_resources(
    tenant_id: str, plan: Plan, use_stack: Any, bundle: Bundle
) -> pulumi.Output[None]:
    mocks: RecordingMocks = use_stack(tenant_id)
    outputs = tenant_program(plan.stack(tenant_id), plan.secrets[tenant_id], bundle=bundle)()
    return after_all(outputs).apply(lambda values: check_tenant(mocks, plan, tenant_id, values, bundle))


def _written_config(plan: Plan, tenant_id: str) -> tuple[dict[str, str], list[str]]:
    """``Pulumi.<tenant>.yaml`` after an orchestrator ``up``, secrets decrypted (as the engine does)."""
    command = FakePulumiCommand(op_seconds=0)
    Orchestrator(command, plan.work_dir, log_dir=plan.work_dir / "logs").run(
        Operation.UP, [plan.stack(tenant_id)], plan.secrets
    )
    stored = command.stacks[tenant_id].config
    config = {key: value["_plain"] if isinstance(value, dict) else value for key, value in stored.items()}
    return config, [key for key, value in stored.items() if isinstance(value, dict)]


def _layer(tmp_path: Path) -> Path:
    path = tmp_path / "layer.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("python/placeholder.txt", "layer\n")
    return path


@pytest.mark.parametrize("tenant_id", TENANT_IDS)
@pulumi.runtime.test
def test_the_config_the_orchestrator_writes_is_what_infra_main_reads(
    tenant_id: str, plan: Plan, use_stack: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> pulumi.Output[None]:
    config, secret_keys = _written_config(plan, tenant_id)
    assert sorted(secret_keys) == sorted(plan.stack(tenant_id).secret_keys)
    if plan.stack(tenant_id).tenant.cloud == "aws":
        config["agentic-memory:layerZip"] = str(_layer(tmp_path))  # stands in for the layer `tenants up` prebuilds
    mocks: RecordingMocks = use_stack(tenant_id, config, secret_keys)
    monkeypatch.chdir(INFRA)
    monkeypatch.setattr(sys, "path", list(sys.path))  # __main__ edits sys.path; keep the test process's intact
    runpy.run_path(str(INFRA), run_name="__main__")
    root = get_root_resource()
    assert root is not None
    return after_all(dict(root.outputs)).apply(lambda values: check_tenant(mocks, plan, tenant_id, values, None))


EXAMPLE_WIRING = {
    "acme-support": "pulumi-python:dynamic/elevenlabs:Wiring",
    "globex-sales": None,
    "initech-reception": "pulumi-python:dynamic/vapi:Wiring",
    "umbrella-clinic": "pulumi-python:dynamic/retell:Wiring",
}


@pytest.mark.parametrize("tenant_id", sorted(EXAMPLE_WIRING))
@pulumi.runtime.test
def test_tenants_up_wires_each_tenant_that_names_its_platform_agent(
    tenant_id: str, use_stack: Any, bundle: Bundle
) -> pulumi.Output[None]:
    """tenants.example.yaml: a tenant's platform ids and API key reference become its own stack's wiring."""
    from infra.tenants.models import load_tenants
    from infra.tenants.stacks import tenant_stack

    tenants_file = load_tenants(INFRA.parent / "tenants.example.yaml")
    (tenant,) = tenants_file.select([tenant_id])
    stack = tenant_stack(tenant, defaults=tenants_file.defaults.config)
    secrets = {name: f"leakcheck-{tenant_id}-{name.lower()}" for name in tenant.secrets}
    mocks: RecordingMocks = use_stack(tenant_id)
    outputs = tenant_program(stack, secrets, bundle=bundle)()

    def check(values: dict[str, Any]) -> None:
        wiring = [resource for resource in mocks.resources if resource.typ.startswith("pulumi-python:dynamic/")]
        expected = EXAMPLE_WIRING[tenant_id]
        assert [resource.typ for resource in wiring] == ([expected] if expected else [])
        key_name = {"elevenlabs": "ELEVENLABS_API_KEY", "vapi": "VAPI_API_KEY", "retell": "RETELL_API_KEY"}
        for resource in wiring:
            platform = resource.typ.split("/")[1].split(":")[0]
            assert resource.inputs["base_url"].startswith("https://")
            assert unwrap(resource.inputs["api_key"]) == secrets[key_name[platform]]  # its own key, as a secret
            walked = Walk().visit(resource.inputs["api_key"])
            assert secrets[key_name[platform]] in walked.secret and walked.plain == []

    return after_all(outputs).apply(check)
