"""Must show 5: the CrossGuard-style policies, called directly with camelCase props (each failure on its own), then
applied to every resource the mocks record for every agent type on both clouds."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from infra import policies
from infra.bundle import Bundle
from infra.policies import ResourceArgs, StackArgs, violations
from infra.program import run_program
from infra.stack_config import build_stack_config
from tests.infra.conftest import AGENT_TYPES, RecordingMocks, after_all, stack_values

Policy = Callable[[ResourceArgs, policies.ReportViolation], None]


def run(policy: Policy, resource_type: str, props: dict[str, Any]) -> list[str]:
    found: list[str] = []
    policy(ResourceArgs(resource_type, props, "res", "urn:res"), lambda message, urn=None: found.append(message))
    return found


def iam(resource: Any, action: Any = "s3:GetObject", effect: str = "Allow") -> dict[str, Any]:
    return {
        "policy": json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": action, "Resource": resource}]}
        )
    }


PRIVATE_BLOCK = dict.fromkeys(policies.PUBLIC_ACCESS_FLAGS, True)

CASES: list[tuple[Policy, str, dict[str, Any], bool]] = [
    # storage encrypted
    (policies.storage_encrypted, policies.SQS_QUEUE, {"sqsManagedSseEnabled": True}, True),
    (policies.storage_encrypted, policies.SQS_QUEUE, {"kmsMasterKeyId": "alias/x"}, True),
    (policies.storage_encrypted, policies.SQS_QUEUE, {"sqsManagedSseEnabled": False}, False),
    (policies.storage_encrypted, policies.SQS_QUEUE, {}, False),
    (
        policies.storage_encrypted,
        policies.S3_ENCRYPTION,
        {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
        True,
    ),
    (policies.storage_encrypted, policies.S3_ENCRYPTION, {"rules": []}, False),
    (policies.storage_encrypted, policies.S3_ENCRYPTION, {"rules": [{"bucketKeyEnabled": True}]}, False),
    # storage private
    (policies.storage_private, policies.S3_PUBLIC_ACCESS, PRIVATE_BLOCK, True),
    (policies.storage_private, policies.S3_PUBLIC_ACCESS, {**PRIVATE_BLOCK, "restrictPublicBuckets": False}, False),
    (policies.storage_private, policies.S3_PUBLIC_ACCESS, {"blockPublicAcls": True}, False),
    (policies.storage_private, policies.S3_BUCKET, {"bucket": "b"}, True),
    (policies.storage_private, policies.S3_BUCKET, {"bucket": "b", "acl": "public-read"}, False),
    (
        policies.storage_private,
        policies.S3_POLICY,
        {"policy": json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*"}]})},
        False,
    ),
    (
        policies.storage_private,
        policies.S3_POLICY,
        {"policy": json.dumps({"Statement": [{"Effect": "Deny", "Principal": "*"}]})},
        True,
    ),
    (
        policies.storage_private,
        policies.GCS_BUCKET,
        {"uniformBucketLevelAccess": True, "publicAccessPrevention": "enforced"},
        True,
    ),
    (
        policies.storage_private,
        policies.GCS_BUCKET,
        {"uniformBucketLevelAccess": True, "publicAccessPrevention": "inherited"},
        False,
    ),
    (policies.storage_private, policies.GCS_BUCKET, {"publicAccessPrevention": "enforced"}, False),
    (policies.storage_private, policies.GCS_IAM_MEMBER, {"member": "allUsers"}, False),
    (policies.storage_private, policies.GCS_IAM_MEMBER, {"member": "serviceAccount:a@p.iam.gserviceaccount.com"}, True),
    # log retention
    (policies.log_retention_set, policies.LOG_GROUP, {"name": "/aws/lambda/f", "retentionInDays": 30}, True),
    (policies.log_retention_set, policies.LOG_GROUP, {"name": "/aws/lambda/f"}, False),
    (policies.log_retention_set, policies.LOG_GROUP, {"name": "/aws/lambda/f", "retentionInDays": 0}, False),
    (policies.log_retention_set, policies.GCP_LOG_BUCKET, {"retentionDays": 14}, True),
    (policies.log_retention_set, policies.GCP_LOG_BUCKET, {}, False),
    # IAM wildcards
    (policies.no_wildcard_iam, policies.ROLE_POLICY, iam(["arn:aws:s3:::b/events/*"]), True),
    (policies.no_wildcard_iam, policies.ROLE_POLICY, iam("*"), False),
    (policies.no_wildcard_iam, policies.ROLE_POLICY, iam(["arn:aws:s3:::b", "*"]), False),
    (policies.no_wildcard_iam, policies.ROLE_POLICY, iam(["arn:aws:s3:::b"], action="s3:*"), False),
    (policies.no_wildcard_iam, policies.ROLE_POLICY, iam(["arn:aws:s3:::b"], action="*"), False),
    (policies.no_wildcard_iam, policies.ROLE_POLICY, iam("*", effect="Deny"), True),
    (
        policies.no_wildcard_iam,
        policies.IAM_POLICY,
        {"policy": json.dumps({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:x"}})},
        False,
    ),
    # secrets by reference only
    (policies.no_plaintext_secret_env, policies.LAMBDA, {"environment": {"variables": {"SECRET_ARN": "arn:x"}}}, True),
    (policies.no_plaintext_secret_env, policies.LAMBDA, {"environment": {"variables": {"MEM0_API_KEY": "v"}}}, False),
    (
        policies.no_plaintext_secret_env,
        policies.GCP_FUNCTION,
        {"serviceConfig": {"environmentVariables": {"A": "b"}}},
        True,
    ),
    (
        policies.no_plaintext_secret_env,
        policies.GCP_FUNCTION,
        {"serviceConfig": {"environmentVariables": {"ADMIN_API_KEY": "v"}}},
        False,
    ),
    (
        policies.no_plaintext_secret_env,
        policies.GCP_FUNCTION,
        {"buildConfig": {"environmentVariables": {"VAPI_SECRET": "v"}}},
        False,
    ),
    # public only the HTTP function
    (policies.public_only_http, policies.CLOUD_RUN_INVOKER, {"member": "allUsers", "service": "am-dev-http"}, True),
    (policies.public_only_http, policies.CLOUD_RUN_INVOKER, {"member": "allUsers", "service": "am-dev-worker"}, False),
    (
        policies.public_only_http,
        policies.CLOUD_RUN_INVOKER,
        {"member": "serviceAccount:x", "service": "am-dev-worker"},
        True,
    ),
    (policies.public_only_http, policies.LAMBDA_PERMISSION, {"principal": "*", "function": "am-dev-http"}, True),
    (policies.public_only_http, policies.LAMBDA_PERMISSION, {"principal": "*", "function": "am-dev-sweeper"}, False),
    (
        policies.public_only_http,
        policies.LAMBDA_PERMISSION,
        {"principal": "events.amazonaws.com", "function": "am-dev-sweeper"},
        True,
    ),
]


@pytest.mark.parametrize(("policy", "resource_type", "props", "passes"), CASES)
def test_resource_policy(policy: Policy, resource_type: str, props: dict[str, Any], passes: bool) -> None:
    found = run(policy, resource_type, props)
    assert (found == []) is passes, found


def test_policies_ignore_other_resource_types() -> None:
    for policy in policies.RESOURCE_POLICIES:
        assert run(policy, "aws:sns/topic:Topic", {"name": "t"}) == []


def _stack(*resources: tuple[str, dict[str, Any]]) -> list[str]:
    found: list[str] = []
    args = StackArgs([ResourceArgs(typ, props, f"r{i}") for i, (typ, props) in enumerate(resources)])
    for policy in policies.STACK_POLICIES:
        policy(args, lambda message, urn=None: found.append(message))
    return found


def test_stack_policies() -> None:
    bucket = (policies.S3_BUCKET, {"bucket": "am-dev-archive"})
    block = (policies.S3_PUBLIC_ACCESS, {"bucket": "am-dev-archive", **PRIVATE_BLOCK})
    sse = (policies.S3_ENCRYPTION, {"bucket": "am-dev-archive"})
    assert _stack(bucket, block, sse) == []
    assert _stack(bucket, block) == ["bucket am-dev-archive: no encryption configuration"]
    assert _stack(bucket, sse) == ["bucket am-dev-archive: no public access block"]

    fn = (policies.LAMBDA, {"name": "am-dev-http"})
    assert _stack(fn, (policies.LOG_GROUP, {"name": "/aws/lambda/am-dev-http", "retentionInDays": 30})) == []
    assert len(_stack(fn, (policies.LOG_GROUP, {"name": "/aws/lambda/am-dev-other", "retentionInDays": 30}))) == 1
    assert len(_stack(fn)) == 1

    own = (policies.SQS_QUEUE, {"arn": "arn:aws:sqs:us-east-1:1:am-dev-ingest"})
    policy_on = lambda arn: (policies.ROLE_POLICY, iam([arn], action="sqs:SendMessage"))  # noqa: E731
    assert _stack(own, policy_on("arn:aws:sqs:us-east-1:1:am-dev-ingest")) == []
    found = _stack(own, policy_on("arn:aws:sqs:us-east-1:1:am-other-ingest"))
    assert found == ["policy r1: names arn:aws:sqs:us-east-1:1:am-other-ingest, not a resource of this stack"]
    assert len(_stack(own, policy_on("arn:aws:sqs:us-east-1:1:am-dev-ingest-dlq"))) == 1  # a prefix is not a child


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
@pytest.mark.parametrize("agent_type", AGENT_TYPES)
@pulumi.runtime.test
def test_every_recorded_resource_passes(agent_type: str, cloud: str, mocks: RecordingMocks, bundle: Bundle) -> Any:
    aws_only = {"httpEndpoint": "url"} if cloud == "aws" else {}
    config = build_stack_config(stack_values(agent_type, cloud, warmInstances="1", **aws_only))
    outputs = run_program(config, bundle)

    def check(_: dict[str, Any]) -> None:
        resources = [resource.policy_args() for resource in mocks.custom()]
        assert len(resources) > 40
        assert violations(resources) == []
        # The bridge sees what it must: break one recorded resource and the same run reports it.
        kind = policies.LOG_GROUP if cloud == "aws" else policies.GCS_BUCKET
        broken = next(r for r in resources if r.resource_type == kind)
        unsafe = ResourceArgs(
            kind, {**broken.props, "retentionInDays": None, "publicAccessPrevention": "inherited"}, broken.name
        )
        assert len(violations([*resources, unsafe])) >= 1

    return after_all(outputs).apply(check)


@pulumi.runtime.test
def test_http_function_policy_has_no_wildcard_resource(mocks: RecordingMocks, bundle: Bundle) -> Any:
    outputs = run_program(build_stack_config(stack_values("generic_voice_agent", "aws")), bundle)

    def check(_: dict[str, Any]) -> None:
        (http,) = [p for p in mocks.of_type(policies.ROLE_POLICY) if p.inputs["role"] == "am-dev-http-role"]
        assert run(policies.no_wildcard_iam, policies.ROLE_POLICY, http.inputs) == []
        resources = [r for s in json.loads(http.inputs["policy"])["Statement"] for r in s["Resource"]]
        assert resources and "*" not in resources

    return after_all(outputs).apply(check)
