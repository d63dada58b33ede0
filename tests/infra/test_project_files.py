"""``Pulumi.yaml`` runs ``infra/``; ``Pulumi.dev.yaml`` works once the secrets in docs/deploying.md are set."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pulumi
import yaml

from infra.bundle import Bundle
from infra.program import run_program
from infra.stack_config import PLAIN_KEYS, SECRET_CONFIG_KEYS, read_stack_config
from tests.infra.conftest import PROJECT, after_all

REPO = Path(__file__).resolve().parents[2]
README_SECRET = re.compile(r"^pulumi config set --secret (\w+)\s*(?:#.*)?$", re.MULTILINE)


def test_project_file_runs_infra_with_python() -> None:
    project = yaml.safe_load((REPO / "Pulumi.yaml").read_text())
    assert project["name"] == PROJECT
    runtime = project["runtime"]
    assert (runtime["name"] if isinstance(runtime, dict) else runtime) == "python"
    assert project["main"].rstrip("/") == "infra"
    assert (REPO / project["main"] / "__main__.py").is_file()


def dev_stack() -> dict[str, str]:
    config = yaml.safe_load((REPO / "Pulumi.dev.yaml").read_text())["config"]
    known = {f"{PROJECT}:{key}" for key in PLAIN_KEYS} | {"aws:region", "gcp:project", "gcp:region"}
    assert set(config) <= known, set(config) - known
    return {key: str(value) for key, value in config.items()}


def readme_secret_keys() -> list[str]:
    section = (REPO / "docs" / "deploying.md").read_text().split("## Deploying with Pulumi", 1)[1].split("\n## ", 1)[0]
    return README_SECRET.findall(section)


@pulumi.runtime.test
def test_dev_stack_with_the_readme_secrets_deploys(use_stack: Any, bundle: Bundle) -> pulumi.Output[None]:
    keys = readme_secret_keys()
    assert keys and set(keys) <= set(SECRET_CONFIG_KEYS.values())
    config = {**dev_stack(), **{f"{PROJECT}:{key}": f"example-{key}" for key in keys}}
    mocks = use_stack("dev", config, [f"{PROJECT}:{key}" for key in keys])
    stack = read_stack_config()
    assert sorted(SECRET_CONFIG_KEYS[name] for name in stack.required_secret_names) == sorted(keys)
    outputs = run_program(stack, bundle)

    def check(values: dict[str, Any]) -> None:
        assert values["agentType"] == stack.agent_type and values["preCallUrl"].endswith("/client-data")
        assert any(resource.typ.startswith("agentic-memory:") for resource in mocks.resources)

    return after_all(outputs).apply(check)


@pulumi.runtime.test
def test_the_example_stack_keeps_memories_in_the_account(use_stack: Any, bundle: Bundle) -> pulumi.Output[None]:
    """The example stack is what people copy: it deploys the documented default (the memory table in the customer's
    own AWS account), not Mem0 Platform, and needs no Mem0 key."""
    from infra.stack_config import DEFAULT_MEMORY_BACKEND

    keys = readme_secret_keys()
    config = {**dev_stack(), **{f"{PROJECT}:{key}": f"example-{key}" for key in keys}}
    mocks = use_stack("dev", config, [f"{PROJECT}:{key}" for key in keys])
    stack = read_stack_config()
    assert stack.memory_backend == DEFAULT_MEMORY_BACKEND[stack.cloud] == "dynamodb"
    assert "mem0ApiKey" not in keys and "MEM0_API_KEY" not in stack.required_secret_names
    outputs = run_program(stack, bundle)

    def check(_: dict[str, Any]) -> None:
        assert len(mocks.of_type("aws:dynamodb/table:Table")) == 1

    return after_all(outputs).apply(check)
