"""``AwsMemoryService``: one agent type's memory service on AWS Lambda, with everything it needs and nothing shared.

HTTP function behind an HTTP API (or a Function URL), SQS queue with dead-letter queue feeding the worker,
a daily sweeper, a private encrypted versioned archive bucket, the memory table (``memoryBackend: dynamodb``,
``aws_table``), one Secrets Manager secret (the given secrets and the ``CALLER_REF_KEY`` the stack draws itself),
one role per function scoped to this stack's own ARNs, log groups with retention, alarms to an SNS topic, optional
provisioned concurrency on the HTTP function's ``live`` alias. This module composes them; the larger parts live
beside it: ``aws_archive`` (the bucket), ``aws_iam`` (the policies), ``aws_http`` (the endpoint), ``aws_alarms``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pulumi
import pulumi_aws as aws

from infra import spec
from infra.aws_alarms import alarms, alert_topic
from infra.aws_archive import archive_bucket
from infra.aws_http import function_url, http_api
from infra.aws_iam import LAMBDA_TRUST, StackArns, function_policy
from infra.aws_table import memory_table
from infra.bundle import LAMBDA_PLATFORM, LAMBDA_PYTHON
from infra.caller_ref_key import CALLER_REF_KEY, caller_ref_key
from infra.naming import StackNames
from infra.spec import FunctionSpec

TYPE_TOKEN = "agentic-memory:aws:MemoryService"
# The layer's wheels are built for this Python and platform (infra.bundle): the functions must match them.
RUNTIME = f"python{LAMBDA_PYTHON}"
# A function reads the stack secret once per instance (functions.aws.secrets): this variable carries the id of the
# secret version it was deployed with, so a new secret value (a rotated platform key) changes every waiting function's
# configuration and Lambda replaces its warm instances, provisioned ones included, instead of leaving them on the old.
SECRET_VERSION_ENV = "SECRET_VERSION"
ARCHITECTURE = "arm64" if LAMBDA_PLATFORM.endswith("aarch64") else "x86_64"


def source_code_hash(hex_sha256: str) -> str:
    """Lambda wants the base64 of the zip's SHA-256; the bundle names it in hex. Same digest, two spellings."""
    return base64.b64encode(bytes.fromhex(hex_sha256)).decode()


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
    memory_recovery_days: int = 7
    memory_deletion_protection: bool = True
    mem0_host: str | None = None  # MEM0_HOST with the mem0 backend; unset: Mem0 Platform
    # Secrets whose values come from a resource that needs the stack's URL (the ElevenLabs webhook's HMAC key).
    late_secrets: frozenset[str] = frozenset()
    tags: Mapping[str, str] = field(default_factory=dict)


class AwsMemoryService(pulumi.ComponentResource):
    base_url: pulumi.Output[str]
    secret_arn: pulumi.Output[str]
    archive_bucket: pulumi.Output[str]
    queue_url: pulumi.Output[str]
    memory_table: pulumi.Output[str] | None
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

        bucket = archive_bucket(
            name,
            names,
            retention_days=args.archive_retention_days,
            mem0=self._mem0,
            tags=tags,
            parent=self,
            force_destroy=not args.memory_deletion_protection,
        )
        secret = aws.secretsmanager.Secret(
            f"{name}-secret",
            name=names.name("secrets"),
            description="agentic-memory secrets of this stack (a JSON object keyed by secret name)",
            recovery_window_in_days=args.secret_recovery_window_days,
            tags=tags,
            opts=self._child,
        )
        secret_value = aws.secretsmanager.SecretVersion(
            f"{name}-secret-value",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(
                pulumi.Output.json_dumps({**args.secrets, CALLER_REF_KEY: caller_ref_key(name, parent=self)})
            ),
            opts=self._child,
        )
        dlq, queue = self._queues()
        self._table = (
            memory_table(
                name,
                names,
                recovery_days=args.memory_recovery_days,
                deletion_protection=args.memory_deletion_protection,
                tags=tags,
                parent=self,
            )
            if args.memory_backend == "dynamodb"
            else None
        )
        layer = aws.lambda_.LayerVersion(
            f"{name}-deps",
            layer_name=names.name("deps"),
            code=pulumi.FileArchive(str(args.layer_zip)),
            source_code_hash=base64.b64encode(hashlib.sha256(args.layer_zip.read_bytes()).digest()).decode(),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            opts=self._child,
        )
        topic = alert_topic(name, names, alert_email=args.alert_email, tags=tags, parent=self)

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
            if args.mem0_host:
                environment["MEM0_HOST"] = args.mem0_host
        if self._table is not None:
            environment["MEMORY_TABLE"] = self._table.name
        # A Function URL exists only after its function, and a late secret only after the URL: that HTTP function
        # cannot wait for the secret's value. Until the value is written its runtime fails closed, and a failed
        # build is not kept (functions.cold_start), so the next request reads the secret again.
        http_waits = not (args.late_secrets and args.http_endpoint == "url")
        functions: dict[str, aws.lambda_.Function] = {
            fn.role: self._function(
                fn,
                environment,
                secret=secret,
                secret_value=secret_value if fn.role != "http" or http_waits else None,
                bucket=bucket,
                queue=queue,
                layer=layer,
            )
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
        self.base_url = (
            http_api(name, names, http, live, tags=tags, parent=self)
            if args.http_endpoint == "api"
            else function_url(name, http, live, parent=self)
        )

        aws.lambda_.EventSourceMapping(
            f"{name}-worker-source",
            event_source_arn=queue.arn,
            function_name=worker.arn,
            batch_size=5,
            function_response_types=["ReportBatchItemFailures"],
            scaling_config={"maximum_concurrency": spec.WORKER_MAX_CONCURRENCY},
            opts=self._child,
        )
        self._schedule(sweeper)
        alarms(name, names, functions, dlq, topic, tags=tags, parent=self)

        self.secret_arn = secret.arn
        self.archive_bucket = bucket.bucket
        self.queue_url = queue.url
        self.memory_table = self._table.name if self._table is not None else None
        self.dead_letter_queue_url = dlq.url
        self.alert_topic_arn = topic.arn
        self.function_names = {role: fn.name for role, fn in functions.items()}
        self.register_outputs(
            {
                "base_url": self.base_url,
                "secret_arn": self.secret_arn,
                "archive_bucket": self.archive_bucket,
                "queue_url": self.queue_url,
                "memory_table": self.memory_table,
                "dead_letter_queue_url": self.dead_letter_queue_url,
                "alert_topic_arn": self.alert_topic_arn,
                "function_names": self.function_names,
            }
        )

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
        secret_value: aws.secretsmanager.SecretVersion | None,
        bucket: aws.s3.Bucket,
        queue: aws.sqs.Queue,
        layer: aws.lambda_.LayerVersion,
    ) -> aws.lambda_.Function:
        """A function, its log group (named after it, created first), its role and its scoped inline policy; it is
        updated after the secret's value (when given), so new code never starts before a secret it needs
        (``CALLER_REF_KEY``), and a new value restarts it (``SECRET_VERSION_ENV``)."""
        name, names, args = self._name, self._args.names, self._args
        function_name = names.name(fn.role)
        variables = dict(environment)
        if secret_value is not None:
            variables[SECRET_VERSION_ENV] = secret_value.version_id
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
            policy=pulumi.Output.all(
                secret.arn, bucket.arn, queue.arn, log_group.arn, self._table.arn if self._table else None
            ).apply(lambda arns: json.dumps(function_policy(fn.role, StackArns(*arns), mem0_pending=self._mem0))),
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
            environment={"variables": variables},
            logging_config={"log_format": "Text", "log_group": log_group.name},
            tags={**args.tags, "agentic-memory:code-sha256": args.code_sha256},
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[log_group, policy] + ([secret_value] if secret_value is not None else [])
            ),
        )

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


__all__ = ["SECRET_VERSION_ENV", "AwsMemoryService", "AwsMemoryServiceArgs", "source_code_hash"]
