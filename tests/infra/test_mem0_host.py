"""``mem0Host``: the stack's own Mem0 endpoint reaches every function as ``MEM0_HOST`` (memoryBackend mem0 only), and
only as an https URL that holds no credential; a bad value is named by its key and never echoed."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from infra.bundle import Bundle
from infra.program import run_program
from infra.spec import FUNCTIONS
from infra.stack_config import build_stack_config
from shared.errors import ConfigError
from tests.infra.conftest import PROJECT, RecordingMocks, after_all, stack_values

HOST = "https://mem0.internal.example"


def environments(mocks: RecordingMocks, cloud: str) -> list[dict[str, Any]]:
    if cloud == "aws":
        return [fn.inputs["environment"]["variables"] for fn in mocks.of_type("aws:lambda/function:Function")]
    functions = mocks.of_type("gcp:cloudfunctionsv2/function:Function")
    return [fn.inputs["serviceConfig"]["environmentVariables"] for fn in functions]


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
@pulumi.runtime.test
def test_mem0_host_reaches_every_function(cloud: str, mocks: RecordingMocks, bundle: Bundle) -> pulumi.Output[None]:
    config = build_stack_config(stack_values("generic_voice_agent", cloud, memoryBackend="mem0", mem0Host=f"{HOST}/"))
    outputs = run_program(config, bundle)

    def check(_: dict[str, Any]) -> None:
        envs = environments(mocks, cloud)
        assert len(envs) == len(FUNCTIONS)
        assert all(env["MEM0_HOST"] == HOST and env["MEMORY_BACKEND"] == "mem0" for env in envs)

    return after_all(outputs).apply(check)


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
@pulumi.runtime.test
def test_without_mem0_host_the_functions_use_mem0_platform(
    cloud: str, mocks: RecordingMocks, bundle: Bundle
) -> pulumi.Output[None]:
    outputs = run_program(build_stack_config(stack_values("generic_voice_agent", cloud, memoryBackend="mem0")), bundle)
    return after_all(outputs).apply(lambda _: _no_host(environments(mocks, cloud)))


def _no_host(envs: list[dict[str, Any]]) -> None:
    assert envs and not any("MEM0_HOST" in env for env in envs)


@pytest.mark.parametrize(
    "url",
    [
        "http://mem0.internal.example",
        "https://user:leakcheck-password@mem0.internal.example",
        "https://mem0.internal.example/?token=leakcheck-token",
        "mem0.internal.example",
        "https://",
    ],
)
def test_a_bad_mem0_host_is_named_and_never_echoed(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        build_stack_config(stack_values("generic_voice_agent", "aws", memoryBackend="mem0", mem0Host=url))
    message = str(caught.value)
    assert f"{PROJECT}:mem0Host" in message and "https URL" in message
    assert "leakcheck" not in message and "mem0.internal" not in message


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_mem0_host_without_the_mem0_backend_is_refused(cloud: str) -> None:
    with pytest.raises(ConfigError, match="mem0Host is for memoryBackend mem0"):
        build_stack_config(stack_values("generic_voice_agent", cloud, mem0Host=HOST))
