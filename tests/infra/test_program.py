"""Must show 1: for each shipped agent type and both clouds the program declares the expected resources, with
unique names, and the same code archive hash on AWS and GCP. Every check runs inside the returned Output."""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pulumi
import pytest

from infra.bundle import Bundle
from infra.gcp import SERVICES
from infra.gcp_firestore import field_overrides
from infra.program import run_program
from infra.spec import DASHBOARD_URLS, FUNCTIONS, ROUTES
from infra.stack_config import StackConfig, build_stack_config
from shared.errors import ConfigError
from tests.infra.conftest import AGENT_TYPES, RecordingMocks, after_all, stack_values

AWS_ALWAYS = {
    "agentic-memory:aws:MemoryService": 1,
    "aws:s3/bucket:Bucket": 1,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 1,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": 1,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 1,
    "aws:s3/bucketVersioning:BucketVersioning": 1,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 1,
    "aws:s3/bucketPolicy:BucketPolicy": 1,
    "aws:secretsmanager/secret:Secret": 1,
    "aws:secretsmanager/secretVersion:SecretVersion": 1,
    "random:index/randomBytes:RandomBytes": 1,  # the CALLER_REF_KEY, in the one secret
    "aws:sqs/queue:Queue": 2,
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": 1,
    "aws:lambda/layerVersion:LayerVersion": 1,
    "aws:sns/topic:Topic": 1,
    "aws:cloudwatch/logGroup:LogGroup": 3,
    "aws:iam/role:Role": 3,
    "aws:iam/rolePolicy:RolePolicy": 3,
    "aws:lambda/function:Function": 3,
    "aws:lambda/alias:Alias": 1,
    "aws:lambda/eventSourceMapping:EventSourceMapping": 1,
    "aws:cloudwatch/eventRule:EventRule": 1,
    "aws:cloudwatch/eventTarget:EventTarget": 1,
    "aws:cloudwatch/metricAlarm:MetricAlarm": 2 * len(FUNCTIONS) + 2,  # errors, throttles; dead letters, auth
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": 1,  # authentication failures in the HTTP function's log
    "aws:lambda/permission:Permission": 1,  # the schedule's; the endpoint adds its own below
}
AWS_API = {
    "aws:apigatewayv2/api:Api": 1,
    "aws:apigatewayv2/integration:Integration": 1,
    "aws:apigatewayv2/route:Route": len(ROUTES),
    "aws:apigatewayv2/stage:Stage": 1,
    "aws:lambda/permission:Permission": 1,
}
AWS_URL = {"aws:lambda/functionUrl:FunctionUrl": 1, "aws:lambda/permission:Permission": 2}


def expected_aws(config: StackConfig) -> Counter[str]:
    expected = Counter(AWS_ALWAYS)
    expected.update(AWS_API if config.http_endpoint == "api" else AWS_URL)
    if config.memory_backend == "dynamodb":
        expected["aws:dynamodb/table:Table"] += 1
    if config.warm_instances:
        expected["aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig"] += 1
    if config.alert_email:
        expected["aws:sns/topicSubscription:TopicSubscription"] += 1
    return expected


def expected_gcp(config: StackConfig) -> Counter[str]:
    secrets = len(config.required_secret_names) + 1  # and the CALLER_REF_KEY the stack draws
    expected = Counter(
        {
            "agentic-memory:gcp:MemoryService": 1,
            "gcp:projects/service:Service": len(SERVICES),
            "gcp:storage/bucket:Bucket": 2,
            "gcp:storage/bucketObject:BucketObject": 1,
            "random:index/randomBytes:RandomBytes": 1,
            "gcp:secretmanager/secret:Secret": secrets,
            "gcp:secretmanager/secretVersion:SecretVersion": secrets,
            "gcp:secretmanager/secretIamMember:SecretIamMember": secrets * len(FUNCTIONS),
            "gcp:pubsub/topic:Topic": 2,
            "gcp:pubsub/subscription:Subscription": 2,
            "gcp:pubsub/topicIAMMember:TopicIAMMember": 2,
            "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember": 1,
            "gcp:serviceaccount/account:Account": len(FUNCTIONS) + 1,
            "gcp:serviceaccount/iAMMember:IAMMember": 1,
            # events: HTTP creates, the worker reads and erases; with mem0 both use the pending log's prefix
            "gcp:storage/bucketIAMMember:BucketIAMMember": 4 if config.memory_backend == "mem0" else 2,
            "gcp:cloudfunctionsv2/function:Function": len(FUNCTIONS),
            "gcp:cloudrun/iamMember:IamMember": len(FUNCTIONS),
            "gcp:cloudscheduler/job:Job": 1,
            "gcp:logging/projectBucketConfig:ProjectBucketConfig": 1,
            "gcp:logging/projectSink:ProjectSink": 1,
            "gcp:monitoring/alertPolicy:AlertPolicy": 4,
        }
    )
    if config.alert_email:
        expected["gcp:monitoring/notificationChannel:NotificationChannel"] += 1
    if config.memory_backend == "firestore":  # the stack's memory database, its TTL and indexes, one role each
        expected.update(
            {
                "gcp:firestore/database:Database": 1,
                "gcp:firestore/index:Index": 1,
                "gcp:firestore/field:Field": len(field_overrides()),
                "gcp:projects/iAMCustomRole:IAMCustomRole": len(FUNCTIONS),
                "gcp:projects/iAMMember:IAMMember": len(FUNCTIONS),
            }
        )
    return expected


def check_declared(mocks: RecordingMocks, config: StackConfig, outputs: dict[str, Any], bundle: Bundle) -> None:
    declared = Counter(resource.typ for resource in mocks.resources)
    expected = expected_aws(config) if config.cloud == "aws" else expected_gcp(config)
    assert declared == expected, (declared - expected, expected - declared)
    names = [resource.name for resource in mocks.resources]
    assert len(names) == len(set(names)), [name for name, count in Counter(names).items() if count > 1]
    assert outputs["agentType"] == config.agent_type
    assert outputs["bundleHash"] == bundle.code_sha256
    for key, path in DASHBOARD_URLS.items():
        assert outputs[key] == outputs["baseUrl"] + path
        assert outputs[key].startswith("https://")


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
@pytest.mark.parametrize("agent_type", AGENT_TYPES)
@pulumi.runtime.test
def test_each_agent_type_declares_its_resources(
    agent_type: str, cloud: str, mocks: RecordingMocks, bundle: Bundle
) -> pulumi.Output[None]:
    config = build_stack_config(stack_values(agent_type, cloud))
    outputs = run_program(config, bundle)
    return after_all(outputs).apply(lambda values: check_declared(mocks, config, values, bundle))


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
@pulumi.runtime.test
def test_options_add_warm_instances_and_alert_email(
    cloud: str, mocks: RecordingMocks, bundle: Bundle
) -> pulumi.Output[None]:
    config = build_stack_config(
        stack_values(
            "generic_voice_agent",
            cloud,
            warmInstances="2",
            alertEmail="oncall@example.com",
            **({"httpEndpoint": "url"} if cloud == "aws" else {}),
        )
    )
    outputs = run_program(config, bundle)

    def check(values: dict[str, Any]) -> None:
        check_declared(mocks, config, values, bundle)
        if cloud == "aws":
            (warm,) = mocks.of_type("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig")
            assert warm.inputs["provisionedConcurrentExecutions"] == 2
            assert warm.inputs["qualifier"] == "live"
            (url,) = mocks.of_type("aws:lambda/functionUrl:FunctionUrl")
            assert url.inputs["qualifier"] == "live" and url.inputs["authorizationType"] == "NONE"
            assert values["baseUrl"].endswith(".on.aws")
            (subscription,) = mocks.of_type("aws:sns/topicSubscription:TopicSubscription")
            assert subscription.inputs["endpoint"] == "oncall@example.com"
        else:
            minimums = {
                fn.inputs["name"]: fn.inputs["serviceConfig"]["minInstanceCount"]
                for fn in mocks.of_type("gcp:cloudfunctionsv2/function:Function")
            }
            assert minimums == {"am-dev-http": 2, "am-dev-worker": 0, "am-dev-sweeper": 0}
        assert "MEM0_API_KEY" not in config.required_secret_names

    return after_all(outputs).apply(check)


@pulumi.runtime.test
def test_aws_wiring(mocks: RecordingMocks, bundle: Bundle) -> pulumi.Output[None]:
    """Runtime, handlers, queue timing and dead-lettering, routes and schedule as DESIGN.md and AWS want them."""
    outputs = run_program(build_stack_config(stack_values("elevenlabs_customer_support", "aws")), bundle)

    def check(_: dict[str, Any]) -> None:
        functions = {fn.inputs["name"]: fn.inputs for fn in mocks.of_type("aws:lambda/function:Function")}
        assert {name: fn["handler"] for name, fn in functions.items()} == {
            "am-dev-http": "functions.aws.entry.http_handler",
            "am-dev-worker": "functions.aws.entry.worker_handler",
            "am-dev-sweeper": "functions.aws.entry.sweeper_handler",
        }
        assert {fn["runtime"] for fn in functions.values()} == {"python3.12"}
        layer_arn = mocks.of_type("aws:lambda/layerVersion:LayerVersion")[0].state["arn"]
        assert all(fn["layers"] == [layer_arn] for fn in functions.values())
        queues = {queue.inputs["name"]: queue for queue in mocks.of_type("aws:sqs/queue:Queue")}
        main, dlq = queues["am-dev-ingest"], queues["am-dev-ingest-dlq"]
        assert main.inputs["visibilityTimeoutSeconds"] >= 6 * functions["am-dev-worker"]["timeout"]
        redrive = json.loads(main.inputs["redrivePolicy"])
        assert redrive == {"deadLetterTargetArn": dlq.state["arn"], "maxReceiveCount": 5}
        (mapping,) = mocks.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
        assert mapping.inputs["eventSourceArn"] == main.state["arn"]
        assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
        routes = sorted(route.inputs["routeKey"] for route in mocks.of_type("aws:apigatewayv2/route:Route"))
        assert routes == sorted(ROUTES)
        (integration,) = mocks.of_type("aws:apigatewayv2/integration:Integration")
        assert integration.inputs["integrationUri"].endswith(":am-dev-http:live/invocations")
        (rule,) = mocks.of_type("aws:cloudwatch/eventRule:EventRule")
        assert rule.inputs["scheduleExpression"].startswith("rate(")
        (target,) = mocks.of_type("aws:cloudwatch/eventTarget:EventTarget")
        assert target.inputs["arn"].endswith(":function:am-dev-sweeper")
        dlq_alarm = [
            a for a in mocks.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") if a.inputs["namespace"] == "AWS/SQS"
        ]
        assert dlq_alarm[0].inputs["dimensions"] == {"QueueName": "am-dev-ingest-dlq"}
        topic_arn = mocks.of_type("aws:sns/topic:Topic")[0].state["arn"]
        assert all(
            alarm.inputs["alarmActions"] == [topic_arn]
            for alarm in mocks.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        )
        (lifecycle,) = mocks.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
        retention = lifecycle.inputs["rules"][0]
        assert retention["expiration"]["days"] == 30
        assert retention["noncurrentVersionExpiration"]["noncurrentDays"] > 0

    return after_all(outputs).apply(check)


@pulumi.runtime.test
def test_gcp_wiring(mocks: RecordingMocks, bundle: Bundle) -> pulumi.Output[None]:
    """Entry points, the hash-named source object, the push subscription with its dead-letter topic, the schedule."""
    outputs = run_program(build_stack_config(stack_values("elevenlabs_customer_support", "gcp")), bundle)

    def check(_: dict[str, Any]) -> None:
        functions = {fn.inputs["name"]: fn for fn in mocks.of_type("gcp:cloudfunctionsv2/function:Function")}
        (code,) = mocks.of_type("gcp:storage/bucketObject:BucketObject")
        assert code.inputs["name"] == f"code/{bundle.code_sha256}.zip"
        for role in ("http", "worker", "sweeper"):
            build = functions[f"am-dev-{role}"].inputs["buildConfig"]
            assert build["entryPoint"] == role and build["runtime"] == "python312"
            assert build["source"]["storageSource"] == {
                "bucket": "am-dev-src-am-test-project",
                "object": code.inputs["name"],
            }
        topics = {topic.inputs["name"]: topic.state for topic in mocks.of_type("gcp:pubsub/topic:Topic")}
        subscriptions = {
            sub.inputs["name"]: sub.inputs for sub in mocks.of_type("gcp:pubsub/subscription:Subscription")
        }
        push = subscriptions["am-dev-ingest-push"]
        assert push["topic"] == "projects/am-test-project/topics/am-dev-ingest"
        assert push["deadLetterPolicy"] == {
            "deadLetterTopic": "projects/am-test-project/topics/am-dev-ingest-dlq",
            "maxDeliveryAttempts": 5,
        }
        worker_uri = functions["am-dev-worker"].state["serviceConfig"]["uri"]
        assert push["pushConfig"]["pushEndpoint"] == worker_uri
        assert push["pushConfig"]["oidcToken"]["audience"] == worker_uri
        assert subscriptions["am-dev-ingest-dlq-hold"]["topic"] == "projects/am-test-project/topics/am-dev-ingest-dlq"
        assert set(topics) == {"am-dev-ingest", "am-dev-ingest-dlq"}
        env = functions["am-dev-http"].inputs["serviceConfig"]["environmentVariables"]
        assert env["PUBSUB_TOPIC"] == "projects/am-test-project/topics/am-dev-ingest"
        assert env["ARCHIVE_BUCKET"] == "am-dev-archive-am-test-project"
        (job,) = mocks.of_type("gcp:cloudscheduler/job:Job")
        assert job.inputs["httpTarget"]["uri"] == functions["am-dev-sweeper"].state["serviceConfig"]["uri"]
        ingress = {name: fn.inputs["serviceConfig"]["ingressSettings"] for name, fn in functions.items()}
        assert ingress == {
            "am-dev-http": "ALLOW_ALL",
            "am-dev-worker": "ALLOW_INTERNAL_ONLY",
            "am-dev-sweeper": "ALLOW_INTERNAL_ONLY",
        }

    return after_all(outputs).apply(check)


def test_code_archive_hash_is_the_same_on_aws_and_gcp(use_stack: Any, bundle: Bundle) -> None:
    """The Lambda's source_code_hash and the Cloud Storage object name are two spellings of one SHA-256."""
    seen: dict[str, str] = {}

    @pulumi.runtime.test
    def deploy(cloud: str) -> pulumi.Output[None]:
        mocks = use_stack("dev")
        outputs = run_program(build_stack_config(stack_values("generic_voice_agent", cloud)), bundle)

        def check(values: dict[str, Any]) -> None:
            if cloud == "aws":
                hashes = {fn.inputs["sourceCodeHash"] for fn in mocks.of_type("aws:lambda/function:Function")}
                (code_hash,) = hashes
                seen[cloud] = base64.b64decode(code_hash).hex()
                codes = {fn.inputs["code"].path for fn in mocks.of_type("aws:lambda/function:Function")}
                assert codes == {str(bundle.code_zip)}
            else:
                (code,) = mocks.of_type("gcp:storage/bucketObject:BucketObject")
                seen[cloud] = code.inputs["name"].removeprefix("code/").removesuffix(".zip")
                assert code.inputs["source"].path == str(bundle.code_zip)
            assert values["bundleHash"] == seen[cloud]
            if len(seen) == 2:
                assert seen["aws"] == seen["gcp"] == bundle.code_sha256

        return after_all(outputs).apply(check)

    deploy("aws")
    deploy("gcp")
    assert set(seen) == {"aws", "gcp"}


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
@pytest.mark.parametrize(("protection", "destroyable"), [(None, False), ("true", False), ("false", True)])
@pulumi.runtime.test
def test_the_archive_goes_with_a_destroy_only_without_deletion_protection(
    cloud: str, protection: str | None, destroyable: bool, mocks: RecordingMocks, bundle: Bundle
) -> pulumi.Output[None]:
    """A destroy stops at a bucket that still holds objects (S3 and Cloud Storage refuse to delete it), and the
    archive always holds a stack's calls: with ``memoryDeletionProtection: false`` (the documented step before
    ``pulumi destroy``) the archive goes with its calls, like the memory store; by default it stays protected."""
    extra = {} if protection is None else {"memoryDeletionProtection": protection}
    outputs = run_program(build_stack_config(stack_values("generic_voice_agent", cloud, **extra)), bundle)

    def check(_: dict[str, Any]) -> None:
        typ = "aws:s3/bucket:Bucket" if cloud == "aws" else "gcp:storage/bucket:Bucket"
        buckets = {bucket.name: bool(bucket.inputs.get("forceDestroy")) for bucket in mocks.of_type(typ)}
        assert buckets.pop("memory-archive") is destroyable
        assert all(buckets.values())  # GCP's source bucket holds only derived code zips

    return after_all(outputs).apply(check)


def _naming_a_missing_plugin(tmp_path: Any) -> Any:
    from shared.config.loader import DEFAULT_CONFIG_PATH

    data = json.loads(DEFAULT_CONFIG_PATH.read_text())
    data["agent_types"]["generic_voice_agent"].setdefault("processors", {})["post_call"] = ["not_installed_redactor"]
    path = tmp_path / "agent_types.json"
    path.write_text(json.dumps(data))
    return path


def test_an_aws_stack_naming_a_plugin_not_installed_here_is_refused(
    mocks: RecordingMocks, bundle: Bundle, tmp_path: Any
) -> None:
    """The Lambda layer carries the plugins installed where the program runs: one the agent type names but that is
    not installed would leave every function unable to start, so nothing is declared."""
    path = _naming_a_missing_plugin(tmp_path)
    config = build_stack_config(stack_values("generic_voice_agent", "aws", agent_types_path=path))
    with pytest.raises(ConfigError, match="not_installed_redactor, not installed where this program runs"):
        run_program(config, bundle)
    assert mocks.resources == []


@pulumi.runtime.test
def test_a_prebuilt_layer_is_trusted_to_carry_its_plugins(
    mocks: RecordingMocks, bundle: Bundle, tmp_path: Any
) -> pulumi.Output[None]:
    layer = tmp_path / "prebuilt-layer.zip"
    layer.write_bytes(bundle.layer_zip.read_bytes() if bundle.layer_zip else b"")
    values = stack_values("generic_voice_agent", "aws", agent_types_path=_naming_a_missing_plugin(tmp_path))
    outputs = run_program(build_stack_config({**values, "layerZip": layer}), bundle)
    return after_all(outputs).apply(lambda _: _assert_lambdas(mocks))


def _assert_lambdas(mocks: RecordingMocks) -> None:
    assert len(mocks.of_type("aws:lambda/function:Function")) == 3


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
@pulumi.runtime.test
def test_the_stack_outputs_what_the_dead_letter_runbook_reads(
    cloud: str, mocks: RecordingMocks, bundle: Bundle
) -> pulumi.Output[None]:
    """operations.md redrives dead letters from `pulumi stack output <name>`: the stack exported neither the queue
    nor the topic, so the runbook stopped at its first line ("current stack does not have output property")."""
    runbook = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    named = set(re.findall(r"pulumi stack output (\w+)", runbook))
    assert named == {"deadLetterQueueUrl", "deadLetterTopic"}
    own = "deadLetterQueueUrl" if cloud == "aws" else "deadLetterTopic"
    config = build_stack_config(stack_values("elevenlabs_customer_support", cloud))
    outputs = run_program(config, bundle)
    assert own in outputs and not (named - {own}) & outputs.keys()

    def check(values: dict[str, Any]) -> None:
        assert isinstance(values[own], str) and values[own]

    return after_all(outputs).apply(check)
