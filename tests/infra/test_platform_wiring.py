"""Must show 2: with a platform's stack config the stack declares its wiring against the stack's own URLs, and
ElevenLabs' generated HMAC key reaches the cloud's secret store as a secret (never in plain text); without that
config nothing of it is declared. Then the dynamic provider itself, against the fake ElevenLabs."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from infra.bundle import Bundle
from infra.program import run_program
from infra.stack_config import build_stack_config
from shared.errors import ConfigError
from tests.infra.conftest import AGENT_TYPES, RecordingMocks, Walk, after_all, stack_values, unwrap
from tests.infra.mocks import GCP_PROJECT_NUMBER, GCP_REGION, GENERATED_HMAC_KEY, SECRET_SIG, TEST_SECRET_VALUES

ELEVENLABS_API_KEY = "leakcheck-elevenlabs-api-key-5e21"
VAPI_API_KEY = "leakcheck-vapi-api-key-a0c4"
EXAMPLE_ASSISTANT = "00000000-0000-4000-8000-000000000000"  # vapi_receptionist's response.assistant_id
DYNAMIC = "pulumi-python:dynamic/"
AWS_BASE = "https://memory-api-abc123.execute-api.us-east-1.amazonaws.com"
GCP_BASE = "https://am-dev-http-x7k2p9q4aa-ew.a.run.app"
GCP_WIRING = f"https://am-dev-http-{GCP_PROJECT_NUMBER}.{GCP_REGION}.run.app"  # deterministic: no cycle


def elevenlabs_values(cloud: str, **extra: Any) -> dict[str, Any]:
    values = stack_values("elevenlabs_customer_support", cloud, elevenlabsAgentId="agent_0123", **extra)
    secrets = {k: v for k, v in values["secrets"].items() if k != "ELEVENLABS_HMAC_KEY"}
    values["secrets"] = {**secrets, "ELEVENLABS_API_KEY": ELEVENLABS_API_KEY}
    return values


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270"


def wiring_resources(mocks: RecordingMocks) -> list[Any]:
    return [resource for resource in mocks.resources if resource.typ.startswith(DYNAMIC)]


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
@pulumi.runtime.test
def test_elevenlabs_wiring_uses_the_stack_urls_and_stores_the_hmac_key_as_a_secret(
    cloud: str, mocks: RecordingMocks, bundle: Bundle
) -> pulumi.Output[None]:
    outputs = run_program(build_stack_config(elevenlabs_values(cloud)), bundle)

    def check(values: dict[str, Any]) -> None:
        (wiring,) = wiring_resources(mocks)
        assert wiring.typ == f"{DYNAMIC}elevenlabs:Wiring"
        base = values["baseUrl"]
        assert base == (AWS_BASE if cloud == "aws" else GCP_BASE)
        assert wiring.inputs["base_url"] == (base if cloud == "aws" else GCP_WIRING)
        if cloud == "gcp":
            (http,) = [
                fn for fn in mocks.of_type("gcp:cloudfunctionsv2/function:Function") if fn.name.endswith("-http")
            ]
            assert GCP_WIRING.startswith(f"https://{http.inputs['name']}-")
        assert wiring.inputs["agent_id"] == "agent_0123"
        assert wiring.inputs["first_message"] is True
        for key in ("api_key", "workspace_key"):
            assert is_secret(wiring.inputs[key]), key
        assert unwrap(wiring.inputs["api_key"]) == ELEVENLABS_API_KEY
        assert unwrap(wiring.inputs["workspace_key"]) == TEST_SECRET_VALUES["ELEVENLABS_WORKSPACE_KEY"]
        if cloud == "aws":
            (version,) = mocks.of_type("aws:secretsmanager/secretVersion:SecretVersion")
            stored = version.inputs["secretString"]
            assert is_secret(stored)
            deployed = json.loads(unwrap(stored))
        else:
            versions = mocks.of_type("gcp:secretmanager/secretVersion:SecretVersion")
            assert all(is_secret(version.inputs["secretData"]) for version in versions)
            deployed = {version.name: unwrap(version.inputs["secretData"]) for version in versions}
            deployed = {"ELEVENLABS_HMAC_KEY": deployed["memory-secret-elevenlabs-hmac-key-value"], **deployed}
        assert deployed["ELEVENLABS_HMAC_KEY"] == GENERATED_HMAC_KEY
        assert ELEVENLABS_API_KEY not in json.dumps(deployed)  # the platform key is never deployed
        everything = Walk()
        for resource in mocks.resources:
            everything.visit(resource.inputs)
        for secret in (GENERATED_HMAC_KEY, ELEVENLABS_API_KEY):
            assert not any(secret in text for text in everything.plain), secret
        assert values["elevenlabsWired"]

    return after_all(outputs).apply(check)


@pytest.mark.parametrize("agent_type", AGENT_TYPES)
@pytest.mark.parametrize("cloud", ["aws", "gcp"])
@pulumi.runtime.test
def test_without_the_config_nothing_of_it_is_declared(
    agent_type: str, cloud: str, mocks: RecordingMocks, bundle: Bundle
) -> pulumi.Output[None]:
    outputs = run_program(build_stack_config(stack_values(agent_type, cloud)), bundle)

    def check(values: dict[str, Any]) -> None:
        assert wiring_resources(mocks) == []
        assert not any(key.endswith("Wired") for key in values)
        assert mocks.resources  # the service itself was declared

    return after_all(outputs).apply(check)


@pulumi.runtime.test
def test_vapi_wiring_with_number_assistant_and_key(mocks: RecordingMocks, bundle: Bundle) -> pulumi.Output[None]:
    values = stack_values("vapi_receptionist", "gcp", vapiPhoneNumberId="pn_1", vapiAssistantId=EXAMPLE_ASSISTANT)
    values["secrets"]["VAPI_API_KEY"] = VAPI_API_KEY
    outputs = run_program(build_stack_config(values), bundle)

    def check(_: dict[str, Any]) -> None:
        (wiring,) = wiring_resources(mocks)
        assert wiring.typ == f"{DYNAMIC}vapi:Wiring"
        assert wiring.inputs["base_url"] == GCP_WIRING
        assert (wiring.inputs["phone_number_id"], wiring.inputs["assistant_id"]) == ("pn_1", EXAMPLE_ASSISTANT)
        assert wiring.inputs["answer_assistant_id"] == EXAMPLE_ASSISTANT  # the provider checks Vapi has it
        assert wiring.inputs["header"] == "X-Vapi-Secret"  # the header the agent type checks
        assert is_secret(wiring.inputs["api_key"]) and unwrap(wiring.inputs["api_key"]) == VAPI_API_KEY
        assert (
            is_secret(wiring.inputs["secret"]) and unwrap(wiring.inputs["secret"]) == TEST_SECRET_VALUES["VAPI_SECRET"]
        )
        assert not any(version.name.endswith("vapi-api-key-value") for version in mocks.resources)

    return after_all(outputs).apply(check)


@pulumi.runtime.test
def test_retell_wiring_uses_the_existing_key(mocks: RecordingMocks, bundle: Bundle) -> pulumi.Output[None]:
    values = stack_values("retell_appointments", "aws", retellAgentId="agent_r1", retellPhoneNumber="+15555550100")
    outputs = run_program(build_stack_config(values), bundle)

    def check(_: dict[str, Any]) -> None:
        (wiring,) = wiring_resources(mocks)
        assert wiring.typ == f"{DYNAMIC}retell:Wiring"
        assert wiring.inputs["base_url"] == AWS_BASE
        assert (wiring.inputs["agent_id"], wiring.inputs["phone_number"]) == ("agent_r1", "+15555550100")
        assert is_secret(wiring.inputs["api_key"])
        assert unwrap(wiring.inputs["api_key"]) == TEST_SECRET_VALUES["RETELL_API_KEY"]

    return after_all(outputs).apply(check)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (elevenlabs_values("aws", retellAgentId="agent_x"), "retellAgentId wires retell"),
        ({**elevenlabs_values("aws"), "elevenlabsAgentId": None}, "elevenlabsApiKey is set but elevenlabsAgentId"),
        (
            stack_values("elevenlabs_customer_support", "aws", elevenlabsAgentId="a"),
            "needs the secret elevenlabsApiKey",
        ),
        (stack_values("vapi_receptionist", "aws", vapiAssistantId="as_1"), "vapiAssistantId needs vapiPhoneNumberId"),
        (
            stack_values("vapi_receptionist", "aws", vapiPhoneNumberId="pn_1", vapiAssistantId="as_1"),
            "vapiAssistantId as_1 is not the assistant the service answers with",
        ),
    ],
)
def test_wiring_config_mistakes_are_named(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_stack_config(values)


def test_a_hand_set_hmac_key_is_refused_when_the_webhook_generates_it() -> None:
    values = elevenlabs_values("aws")
    values["secrets"]["ELEVENLABS_HMAC_KEY"] = "leakcheck-hand-set"
    with pytest.raises(ConfigError, match="generated by the elevenlabs webhook"):
        build_stack_config(values)


def platforms_doc_keys() -> list[tuple[str, str]]:
    """``pulumi config set [--secret] KEY`` lines of docs/platforms.md's "Deployed" block, in order."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "platforms.md").read_text()
    block = text.split("**Deployed**", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    return re.findall(r"^pulumi config set (--secret )?(\w+)", block, re.MULTILINE)


@pulumi.runtime.test
def test_the_documented_three_commands_wire_the_dev_stack(use_stack: Any, bundle: Bundle) -> pulumi.Output[None]:
    """platforms.md's deployed set-up on Pulumi.dev.yaml with docs/deploying.md's secrets, bar the generated one."""
    from infra.stack_config import read_stack_config
    from tests.infra.mocks import PROJECT
    from tests.infra.test_project_files import dev_stack, readme_secret_keys

    keys = platforms_doc_keys()
    assert keys == [("", "elevenlabsAgentId"), ("--secret ", "elevenlabsApiKey")]
    secrets = [key for key in readme_secret_keys() if key != "elevenlabsHmacKey"] + ["elevenlabsApiKey"]
    config = {**dev_stack(), f"{PROJECT}:elevenlabsAgentId": "agent_docs"}
    config.update({f"{PROJECT}:{key}": f"example-{key}" for key in secrets})
    mocks = use_stack("dev", config, [f"{PROJECT}:{key}" for key in secrets])
    outputs = run_program(read_stack_config(), bundle)

    def check(_: dict[str, Any]) -> None:
        (wiring,) = wiring_resources(mocks)
        assert wiring.inputs["agent_id"] == "agent_docs"
        assert unwrap(wiring.inputs["api_key"]) == "example-elevenlabsApiKey"

    return after_all(outputs).apply(check)
