"""``AwsMemoryService``: one agent type's memory service on AWS Lambda, with everything it needs and nothing shared.

HTTP function behind an HTTP API (or a Function URL), SQS queue with dead-letter queue feeding the worker,
a daily sweeper, a private encrypted versioned archive bucket, one Secrets Manager secret, one role per
function scoped to this stack's own ARNs, log groups with retention, alarms to an SNS topic, optional
provisioned concurrency on the HTTP function's ``live`` alias.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from infra import spec
from infra.bundle import LAMBDA_PLATFORM, LAMBDA_PYTHON
from infra.naming import StackNames
from infra.spec import FunctionRole, FunctionSpec

TYPE_TOKEN = "agentic-memory:aws:MemoryService"
# The layer's wheels are built for this Python and platform (infra.bundle): the functions must match them.
RUNTIME = f"python{LAMBDA_PYTHON}"
ARCHITECTURE = "arm64" if LAMBDA_PLATFORM.endswith("aarch64") else "x86_64"
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
ALARM_PERIOD_SECONDS = 300
API_THROTTLE = {"throttling_burst_limit": 200, "throttling_rate_limit": 100}


@dataclass(frozen=True)
class StackArns:
    """The ARNs of this stack's own resources: the only things a function's policy may name."""

    secret: str
    bucket: str
    queue: str
    log_group: str


def _allow(actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": sorted(actions), "Resource": resources}


def _allow_listing(actions: list[str], bucket: str, prefix: str) -> dict[str, Any]:
    """Listing the bucket, but only under ``prefix`` (a request without that prefix is denied)."""
    return {**_allow(actions, [bucket]), "Condition": {"StringLike": {"s3:prefix": [f"{prefix}*"]}}}


def function_policy(role: FunctionRole, arns: StackArns, *, mem0_pending: bool = False) -> dict[str, Any]:
    """Least privilege per function: read the stack secret, write its own logs, plus what the role does.

    HTTP: write new events, send to the queue. Worker: read events; for erase jobs, list the event prefix and
    read and delete every object version under it. With ``mem0_pending`` both also read, write and delete the
    mem0 pending log under its own prefix, and may list that prefix (S3 answers a missing key with 403 to a role
    that may not list; the archive then lists that one key). The sweeper touches no storage: the bucket's
    lifecycle rule expires events.
    """
    events = f"{arns.bucket}/{spec.ARCHIVE_PREFIX}*"
    statements = [
        _allow(["secretsmanager:GetSecretValue"], [arns.secret]),
        _allow(["logs:CreateLogStream", "logs:PutLogEvents"], [f"{arns.log_group}:*"]),
    ]
    if role == "http":
        statements += [_allow(["s3:PutObject"], [events]), _allow(["sqs:SendMessage"], [arns.queue])]
    elif role == "worker":
        statements += [
            _allow(["s3:GetObject"], [events]),
            _allow(
                ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"],
                [arns.queue],
            ),
            _allow(["s3:GetObjectVersion", "s3:DeleteObjectVersion"], [events]),
            _allow_listing(["s3:ListBucket", "s3:ListBucketVersions"], arns.bucket, spec.ARCHIVE_PREFIX),
        ]
    if mem0_pending and role in ("http", "worker"):
        statements += [
            _allow(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], [f"{arns.bucket}/{spec.PENDING_PREFIX}*"]),
            _allow_listing(["s3:ListBucket"], arns.bucket, spec.PENDING_PREFIX),
        ]
    return {"Version": "2012-10-17", "Statement": statements}


def source_code_hash(hex_sha256: str) -> str:
    """Lambda wants the base64 of the zip's SHA-256; the bundle names it in hex. Same digest, two spellings."""
    return base64.b64encode(bytes.fromhex(hex_sha256)).decode()


def _route_name(route: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", route.lower()).strip("-")


@dataclass
class AwsMemoryServiceArgs:
    names: StackNames
    agent_type: pulumi.Input[str]
    memory_backend: str
    code_zip: Path
    code_sha256: str
    layer_zip: Path
    secrets: Mapping[str, pulumi.Input[str]]
    log_retention_days: pulumi.Input[int] = 30
    archive_retention_days: pulumi.Input[int] = 30
    warm_instances: int = 0
    alert_email: pulumi.Input[str] | None = None
    http_endpoint: Literal["api", "url"] = "api"
    secret_recovery_window_days: pulumi.Input[int] = 7
    tags: Mapping[str, str] = field(default_factory=dict)


class AwsMemoryService(pulumi.ComponentResource):
    base_url: pulumi.Output[str]
    secret_arn: pulumi.Output[str]
    archive_bucket: pulumi.Output[str]
    queue_url: pulumi.Output[str]
    dead_letter_queue_url: pulumi.Output[str]
    alert_topic_arn: pulumi.Output[str]
    function_names: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: AwsMemoryServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        self._name = name
        self._args = args
        self._mem0 = args.memory_backend == "mem0"
        self._child = pulumi.ResourceOptions(parent=self)
        names, tags = args.names, dict(args.tags)

        bucket = self._archive_bucket()
        secret = aws.secretsmanager.Secret(
            f"{name}-secret",
            name=names.name("secrets"),
            description="agentic-memory secrets of this stack (a JSON object keyed by secret name)",
            recovery_window_in_days=args.secret_recovery_window_days,
            tags=tags,
            opts=self._child,
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-secret-value",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(pulumi.Output.json_dumps(dict(args.secrets))),
            opts=self._child,
        )
        dlq, queue = self._queues()
        layer = aws.lambda_.LayerVersion(
            f"{name}-deps",
            layer_name=names.name("deps"),
            code=pulumi.FileArchive(str(args.layer_zip)),
            source_code_hash=base64.b64encode(hashlib.sha256(args.layer_zip.read_bytes()).digest()).decode(),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            opts=self._child,
        )
        topic = aws.sns.Topic(f"{name}-alerts", name=names.name("alerts"), tags=tags, opts=self._child)
        if args.alert_email is not None:
            aws.sns.TopicSubscription(
                f"{name}-alerts-email", topic=topic.arn, protocol="email", endpoint=args.alert_email, opts=self._child
            )

        environment: dict[str, pulumi.Input[str]] = {
            **spec.STATIC_ENVIRONMENT,
            "AGENT_TYPE": args.agent_type,
            "MEMORY_BACKEND": args.memory_backend,
            "ARCHIVE_BUCKET": bucket.bucket,
            "ARCHIVE_PREFIX": spec.ARCHIVE_PREFIX,
            "QUEUE_URL": queue.url,
            "SECRET_ARN": secret.arn,
        }
        if args.memory_backend == "mem0":
            environment["MEM0_PENDING_PREFIX"] = spec.PENDING_PREFIX
        functions: dict[str, aws.lambda_.Function] = {
            fn.role: self._function(fn, environment, secret=secret, bucket=bucket, queue=queue, layer=layer)
            for fn in spec.FUNCTIONS
        }
        http, worker, sweeper = functions["http"], functions["worker"], functions["sweeper"]

        live = aws.lambda_.Alias(
            f"{name}-http-live", name="live", function_name=http.name, function_version=http.version, opts=self._child
        )
        if args.warm_instances > 0:
            aws.lambda_.ProvisionedConcurrencyConfig(
                f"{name}-http-warm",
                function_name=http.name,
                qualifier=live.name,
                provisioned_concurrent_executions=args.warm_instances,
                opts=self._child,
            )
        self.base_url = self._http_api(http, live) if args.http_endpoint == "api" else self._function_url(http, live)

        aws.lambda_.EventSourceMapping(
            f"{name}-worker-source",
            event_source_arn=queue.arn,
            function_name=worker.arn,
            batch_size=5,
            function_response_types=["ReportBatchItemFailures"],
            opts=self._child,
        )
        self._schedule(sweeper)
        self._alarms(functions, dlq, topic)

        self.secret_arn = secret.arn
        self.archive_bucket = bucket.bucket
        self.queue_url = queue.url
        self.dead_letter_queue_url = dlq.url
        self.alert_topic_arn = topic.arn
        self.function_names = {role: fn.name for role, fn in functions.items()}
        self.register_outputs(
            {
                "base_url": self.base_url,
                "secret_arn": self.secret_arn,
                "archive_bucket": self.archive_bucket,
                "queue_url": self.queue_url,
                "dead_letter_queue_url": self.dead_letter_queue_url,
                "alert_topic_arn": self.alert_topic_arn,
                "function_names": self.function_names,
            }
        )

    def _archive_bucket(self) -> aws.s3.Bucket:
        """Raw post-call bodies for replay: private, encrypted, versioned, expired by the stack's retention."""
        name, names, args = self._name, self._args.names, self._args
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        bucket = aws.s3.Bucket(
            f"{name}-archive",
            bucket=account.account_id.apply(lambda account_id: names.global_name("archive", account_id)),
            tags=dict(args.tags),
            opts=self._child,
        )
        block = aws.s3.BucketPublicAccessBlock(
            f"{name}-archive-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=self._child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-archive-ownership",
            bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=self._child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-archive-encryption",
            bucket=bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            opts=self._child,
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-archive-versioning",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=self._child,
        )
        rules: list[dict[str, Any]] = [
            {  # the archive's retention (the sweeper may not list the bucket: this rule is what expires events)
                "id": "retention",
                "status": "Enabled",
                "filter": {"prefix": spec.ARCHIVE_PREFIX},
                "expiration": {"days": args.archive_retention_days},
                "noncurrent_version_expiration": {"noncurrent_days": spec.NONCURRENT_VERSION_DAYS},
                "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
            },
            {
                "id": "delete-markers",
                "status": "Enabled",
                "filter": {},
                "expiration": {"expired_object_delete_marker": True},
            },
        ]
        if self._mem0:  # pending records (memories on their way to Mem0) matter for minutes, old versions not at all
            rules.append(
                {
                    "id": "mem0-pending",
                    "status": "Enabled",
                    "filter": {"prefix": spec.PENDING_PREFIX},
                    "expiration": {"days": spec.PENDING_EXPIRY_DAYS},
                    "noncurrent_version_expiration": {"noncurrent_days": spec.PENDING_EXPIRY_DAYS},
                }
            )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-archive-lifecycle",
            bucket=bucket.id,
            rules=rules,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        aws.s3.BucketPolicy(
            f"{name}-archive-tls-only",
            bucket=bucket.id,
            policy=bucket.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "DenyInsecureTransport",
                                "Effect": "Deny",
                                "Principal": "*",
                                "Action": "s3:*",
                                "Resource": [arn, f"{arn}/*"],
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        ],
                    }
                )
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[block]),
        )
        return bucket

    def _queues(self) -> tuple[aws.sqs.Queue, aws.sqs.Queue]:
        name, names, tags = self._name, self._args.names, dict(self._args.tags)
        dlq = aws.sqs.Queue(
            f"{name}-dlq",
            name=names.name("ingest-dlq", max_len=80),
            message_retention_seconds=spec.DLQ_RETENTION_SECONDS,
            sqs_managed_sse_enabled=True,
            tags=tags,
            opts=self._child,
        )
        queue = aws.sqs.Queue(
            f"{name}-queue",
            name=names.name("ingest", max_len=80),
            visibility_timeout_seconds=spec.VISIBILITY_FACTOR * spec.WORKER.timeout_seconds,
            message_retention_seconds=4 * 24 * 3600,
            sqs_managed_sse_enabled=True,
            redrive_policy=dlq.arn.apply(
                lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": spec.MAX_DELIVERIES})
            ),
            tags=tags,
            opts=self._child,
        )
        aws.sqs.RedriveAllowPolicy(
            f"{name}-dlq-redrive-allow",
            queue_url=dlq.url,
            redrive_allow_policy=queue.arn.apply(
                lambda arn: json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [arn]})
            ),
            opts=self._child,
        )
        return dlq, queue

    def _function(
        self,
        fn: FunctionSpec,
        environment: Mapping[str, pulumi.Input[str]],
        *,
        secret: aws.secretsmanager.Secret,
        bucket: aws.s3.Bucket,
        queue: aws.sqs.Queue,
        layer: aws.lambda_.LayerVersion,
    ) -> aws.lambda_.Function:
        """A function, its log group (named after it, created first), its role and its scoped inline policy."""
        name, names, args = self._name, self._args.names, self._args
        function_name = names.name(fn.role)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-{fn.role}-logs",
            name=f"/aws/lambda/{function_name}",
            retention_in_days=args.log_retention_days,
            tags=dict(args.tags),
            opts=self._child,
        )
        role = aws.iam.Role(
            f"{name}-{fn.role}-role",
            name=names.name(f"{fn.role}-role"),
            assume_role_policy=json.dumps(LAMBDA_TRUST),
            tags=dict(args.tags),
            opts=self._child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-{fn.role}-policy",
            name=names.name(f"{fn.role}-policy"),
            role=role.id,
            policy=pulumi.Output.all(secret.arn, bucket.arn, queue.arn, log_group.arn).apply(
                lambda arns: json.dumps(function_policy(fn.role, StackArns(*arns), mem0_pending=self._mem0))
            ),
            opts=self._child,
        )
        return aws.lambda_.Function(
            f"{name}-{fn.role}",
            name=function_name,
            description=f"agentic-memory {fn.description}",
            role=role.arn,
            runtime=RUNTIME,
            architectures=[ARCHITECTURE],
            handler=fn.aws_handler,
            code=pulumi.FileArchive(str(args.code_zip)),
            source_code_hash=source_code_hash(args.code_sha256),
            layers=[layer.arn],
            timeout=fn.timeout_seconds,
            memory_size=fn.memory_mb,
            publish=fn.role == "http",
            environment={"variables": dict(environment)},
            logging_config={"log_format": "Text", "log_group": log_group.name},
            tags={**args.tags, "agentic-memory:code-sha256": args.code_sha256},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group, policy]),
        )

    def _http_api(self, http: aws.lambda_.Function, live: aws.lambda_.Alias) -> pulumi.Output[str]:
        """An HTTP API with exactly DESIGN.md's routes, all to the ``live`` alias of the HTTP function."""
        name, names = self._name, self._args.names
        api = aws.apigatewayv2.Api(
            f"{name}-api", name=names.name("api"), protocol_type="HTTP", tags=dict(self._args.tags), opts=self._child
        )
        integration = aws.apigatewayv2.Integration(
            f"{name}-api-integration",
            api_id=api.id,
            integration_type="AWS_PROXY",
            integration_uri=live.invoke_arn,
            payload_format_version="2.0",
            timeout_milliseconds=min(30_000, spec.HTTP.timeout_seconds * 1000),
            opts=self._child,
        )
        target = integration.id.apply(lambda integration_id: f"integrations/{integration_id}")
        for route in spec.ROUTES:
            aws.apigatewayv2.Route(
                f"{name}-route-{_route_name(route)}", api_id=api.id, route_key=route, target=target, opts=self._child
            )
        aws.apigatewayv2.Stage(
            f"{name}-api-stage",
            api_id=api.id,
            name="$default",
            auto_deploy=True,
            default_route_settings=API_THROTTLE,
            opts=self._child,
        )
        aws.lambda_.Permission(
            f"{name}-api-invoke",
            action="lambda:InvokeFunction",
            function=http.name,
            qualifier=live.name,
            principal="apigateway.amazonaws.com",
            source_arn=api.execution_arn.apply(lambda arn: f"{arn}/*/*"),
            opts=self._child,
        )
        return api.api_endpoint

    def _function_url(self, http: aws.lambda_.Function, live: aws.lambda_.Alias) -> pulumi.Output[str]:
        """A public Function URL on the ``live`` alias; the function authenticates every request itself."""
        name = self._name
        url = aws.lambda_.FunctionUrl(
            f"{name}-http-url",
            function_name=http.name,
            qualifier=live.name,
            authorization_type="NONE",
            opts=self._child,
        )
        aws.lambda_.Permission(
            f"{name}-url-invoke",
            action="lambda:InvokeFunctionUrl",
            function=http.name,
            qualifier=live.name,
            principal="*",
            function_url_auth_type="NONE",
            opts=self._child,
        )
        aws.lambda_.Permission(
            f"{name}-url-invoke-function",
            action="lambda:InvokeFunction",
            function=http.name,
            qualifier=live.name,
            principal="*",
            invoked_via_function_url=True,
            opts=self._child,
        )
        return url.function_url.apply(lambda value: value.rstrip("/"))

    def _schedule(self, sweeper: aws.lambda_.Function) -> None:
        name, names = self._name, self._args.names
        rule = aws.cloudwatch.EventRule(
            f"{name}-sweep-schedule",
            name=names.name("sweep"),
            schedule_expression=f"rate({spec.SWEEP_EVERY_HOURS} hours)",
            tags=dict(self._args.tags),
            opts=self._child,
        )
        aws.cloudwatch.EventTarget(f"{name}-sweep-target", rule=rule.name, arn=sweeper.arn, opts=self._child)
        aws.lambda_.Permission(
            f"{name}-sweep-invoke",
            action="lambda:InvokeFunction",
            function=sweeper.name,
            principal="events.amazonaws.com",
            source_arn=rule.arn,
            opts=self._child,
        )

    def _alarms(self, functions: Mapping[str, aws.lambda_.Function], dlq: aws.sqs.Queue, topic: aws.sns.Topic) -> None:
        name, names = self._name, self._args.names
        actions = [topic.arn]
        common: dict[str, Any] = {
            "period": ALARM_PERIOD_SECONDS,
            "evaluation_periods": 1,
            "threshold": 1,
            "comparison_operator": "GreaterThanOrEqualToThreshold",
            "treat_missing_data": "notBreaching",
            "alarm_actions": actions,
            "ok_actions": actions,
            "tags": dict(self._args.tags),
        }
        for role, fn in functions.items():
            for metric in ("Errors", "Throttles"):
                aws.cloudwatch.MetricAlarm(
                    f"{name}-{role}-{metric.lower()}",
                    name=names.name(f"{role}-{metric.lower()}", max_len=255),
                    namespace="AWS/Lambda",
                    metric_name=metric,
                    dimensions={"FunctionName": fn.name},
                    statistic="Sum",
                    **common,
                    opts=self._child,
                )
        aws.cloudwatch.MetricAlarm(
            f"{name}-dead-letters",
            name=names.name("dead-letters", max_len=255),
            alarm_description="post-call events failed every retry; fix the cause, then replay them from the archive",
            namespace="AWS/SQS",
            metric_name="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": dlq.name},
            statistic="Maximum",
            **common,
            opts=self._child,
        )


__all__ = ["AwsMemoryService", "AwsMemoryServiceArgs", "StackArns", "function_policy", "source_code_hash"]
