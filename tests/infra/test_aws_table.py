"""The memory table under Pulumi's mocks: what the stack declares for ``memoryBackend: dynamodb`` (the AWS default)."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from functions.aws.store_items import INDEXES
from infra.bundle import Bundle
from infra.policies import ResourceArgs, violations
from infra.program import run_program
from infra.stack_config import build_stack_config
from shared.errors import ConfigError
from tests.infra.conftest import RecordingMocks, after_all, stack_values, unwrap

TABLE = "aws:dynamodb/table:Table"


@pulumi.runtime.test
def test_the_default_aws_stack_declares_the_memory_table(mocks: RecordingMocks, bundle: Bundle) -> Any:
    config = build_stack_config(stack_values("generic_voice_agent", "aws"))
    assert config.memory_backend == "dynamodb"
    outputs = run_program(config, bundle)

    def check(_: dict[str, Any]) -> None:
        (table,) = mocks.of_type(TABLE)
        props = unwrap(table.inputs)
        assert props["name"] == "am-dev-memories" and props["billingMode"] == "PAY_PER_REQUEST"
        assert (props["hashKey"], props["rangeKey"]) == ("pk", "sk")
        assert props["ttl"] == {"attributeName": "ttl", "enabled": True}
        assert props["pointInTimeRecovery"] == {"enabled": True, "recoveryPeriodInDays": 7}
        assert props["serverSideEncryption"] == {"enabled": True}
        assert props["deletionProtectionEnabled"] is True
        indexes = {}
        for index in props["globalSecondaryIndexes"]:
            keys = {key["keyType"]: key["attributeName"] for key in index["keySchemas"]}
            indexes[index["name"]] = (keys["HASH"], keys.get("RANGE"), index["projectionType"])
        assert indexes == INDEXES
        assert {a["name"] for a in props["attributes"]} == {"pk", "sk"} | {
            key for hash_key, range_key, _ in INDEXES.values() for key in (hash_key, range_key) if key
        }
        assert all(a["type"] == "S" for a in props["attributes"])
        envs = [fn.inputs["environment"]["variables"] for fn in mocks.of_type("aws:lambda/function:Function")]
        assert {(env["MEMORY_BACKEND"], env["MEMORY_TABLE"]) for env in envs} == {("dynamodb", "am-dev-memories")}
        resources = [r.policy_args() for r in mocks.custom()]
        assert violations(resources) == []
        bare = ResourceArgs(TABLE, {k: v for k, v in props.items() if k != "serverSideEncryption"}, "bare")
        assert violations([*resources, bare]) == [
            "table bare: not encrypted with a KMS key (serverSideEncryption.enabled)"
        ]

    return after_all(outputs).apply(check)


@pytest.mark.parametrize(
    ("days", "expected"), [("0", {"enabled": False}), ("35", {"enabled": True, "recoveryPeriodInDays": 35})]
)
@pulumi.runtime.test
def test_the_recovery_window_is_configurable_and_zero_turns_it_off(
    days: str, expected: dict[str, Any], mocks: RecordingMocks, bundle: Bundle
) -> Any:
    config = build_stack_config(
        stack_values("generic_voice_agent", "aws", memoryRecoveryDays=days, memoryDeletionProtection="false")
    )
    outputs = run_program(config, bundle)

    def check(_: dict[str, Any]) -> None:
        (table,) = mocks.of_type(TABLE)
        assert unwrap(table.inputs)["pointInTimeRecovery"] == expected
        assert unwrap(table.inputs)["deletionProtectionEnabled"] is False

    return after_all(outputs).apply(check)


@pytest.mark.parametrize("days", ["36", "-1"])
def test_a_recovery_window_dynamodb_cannot_keep_is_refused(days: str) -> None:
    with pytest.raises(ConfigError, match="memoryRecoveryDays"):
        build_stack_config(stack_values("generic_voice_agent", "aws", memoryRecoveryDays=days))


@pulumi.runtime.test
def test_a_mem0_stack_has_no_table_and_no_table_grant(mocks: RecordingMocks, bundle: Bundle) -> Any:
    outputs = run_program(build_stack_config(stack_values("generic_voice_agent", "aws", memoryBackend="mem0")), bundle)

    def check(_: dict[str, Any]) -> None:
        assert not mocks.of_type(TABLE)
        policies = [str(p.inputs["policy"]) for p in mocks.of_type("aws:iam/rolePolicy:RolePolicy")]
        assert policies and not any("dynamodb" in policy for policy in policies)
        envs = [fn.inputs["environment"]["variables"] for fn in mocks.of_type("aws:lambda/function:Function")]
        assert not any("MEMORY_TABLE" in env for env in envs)

    return after_all(outputs).apply(check)
