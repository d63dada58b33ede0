"""``GcpMemoryService``: one agent type's memory service on Cloud Functions gen2, sharing nothing with other stacks.

The code zip goes to a source bucket under its content hash (gen2 redeploys only when the object name
changes). Three functions run it: ``http`` (public), ``worker`` (pushed by a Pub/Sub subscription with a
dead-letter topic) and ``sweeper`` (Cloud Scheduler), each as its own service account. Secrets live in
Secret Manager, one per name, mounted as environment variables pinned to the version this update wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_gcp as gcp

from infra import spec
from infra.naming import StackNames
from infra.spec import FunctionRole, FunctionSpec

TYPE_TOKEN = "agentic-memory:gcp:MemoryService"
RUNTIME = "python312"
SERVICES = (
    "cloudfunctions",
    "run",
    "cloudbuild",
    "artifactregistry",
    "secretmanager",
    "cloudscheduler",
    "pubsub",
    "monitoring",
    "logging",
)
SWEEP_SCHEDULE = "17 3 * * *"  # daily, off the hour
PUSH_BACKOFF = {"minimum_backoff": "10s", "maximum_backoff": "600s"}
ALERT_WINDOW = "300s"


@dataclass(frozen=True)
class StorageGrant:
    """A predefined object role on the archive bucket for one function, only on the objects under ``prefix``;
    with ``listing`` also ``storage.objects.list`` for requests whose list prefix lies under it (a list request is
    checked against the bucket, so an object-name condition alone would deny it)."""

    role: FunctionRole
    name: str
    bucket_role: str
    prefix: str
    listing: bool = False

    def condition(self, bucket: str) -> dict[str, str]:
        expression = f'resource.name.startsWith("projects/_/buckets/{bucket}/objects/{self.prefix}")'
        if self.listing:
            expression += (
                f' || (resource.type == "storage.googleapis.com/Bucket" && '
                f'api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("{self.prefix}"))'
            )
        return {"title": f"{self.name}-prefix", "expression": expression}


def storage_grants(memory_backend: str) -> tuple[StorageGrant, ...]:
    """HTTP creates events; the worker reads them and, for erase jobs, lists and deletes every generation under
    the event prefix (``objectUser``: get, list, create, delete). With mem0 both read, write and delete the pending
    log under its own prefix. The sweeper gets none: the bucket's lifecycle rules expire events."""
    grants = [
        StorageGrant("http", "archive", "roles/storage.objectCreator", spec.ARCHIVE_PREFIX),
        StorageGrant("worker", "archive", "roles/storage.objectUser", spec.ARCHIVE_PREFIX, listing=True),
    ]
    if memory_backend == "mem0":
        grants += [
            StorageGrant(role, "mem0-pending", "roles/storage.objectUser", spec.PENDING_PREFIX)
            for role in ("http", "worker")
        ]
    return tuple(grants)


def secret_slug(secret_name: str) -> str:
    return secret_name.lower().replace("_", "-")


def _member(email: pulumi.Input[str]) -> pulumi.Output[str]:
    return pulumi.Output.from_input(email).apply(lambda value: f"serviceAccount:{value}")


@dataclass
class GcpMemoryServiceArgs:
    names: StackNames
    project: str
    region: str
    agent_type: pulumi.Input[str]
    memory_backend: str
    code_zip: Path
    code_sha256: str
    secrets: Mapping[str, pulumi.Input[str]]
    log_retention_days: pulumi.Input[int] = 30
    archive_retention_days: pulumi.Input[int] = 30
    warm_instances: int = 0
    alert_email: pulumi.Input[str] | None = None
    labels: Mapping[str, str] = field(default_factory=dict)


class GcpMemoryService(pulumi.ComponentResource):
    base_url: pulumi.Output[str]
    archive_bucket: pulumi.Output[str]
    source_object: pulumi.Output[str]
    topic: pulumi.Output[str]
    dead_letter_topic: pulumi.Output[str]
    secret_ids: dict[str, pulumi.Output[str]]
    function_names: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: GcpMemoryServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        self._name = name
        self._args = args
        names, labels = args.names, dict(args.labels)
        self._child = pulumi.ResourceOptions(parent=self)
        apis = [
            gcp.projects.Service(
                f"{name}-service-{api}",
                project=args.project,
                service=f"{api}.googleapis.com",
                disable_on_destroy=False,  # other stacks in the project use them too
                opts=self._child,
            )
            for api in SERVICES
        ]
        self._after_apis = pulumi.ResourceOptions(parent=self, depends_on=apis)

        source_bucket = self._bucket("source", "src", versioned=False)
        source = gcp.storage.BucketObject(
            f"{name}-code",
            bucket=source_bucket.name,
            name=f"code/{args.code_sha256}.zip",
            source=pulumi.FileAsset(str(args.code_zip)),
            opts=self._child,
        )
        archive = self._bucket("archive", "archive", versioned=True)

        secrets: dict[str, tuple[gcp.secretmanager.Secret, gcp.secretmanager.SecretVersion]] = {}
        for secret_name, value in sorted(args.secrets.items()):
            slug = secret_slug(secret_name)
            secret = gcp.secretmanager.Secret(
                f"{name}-secret-{slug}",
                project=args.project,
                secret_id=names.name(slug, max_len=255),
                replication={"auto": {}},
                labels=labels,
                opts=self._after_apis,
            )
            version = gcp.secretmanager.SecretVersion(
                f"{name}-secret-{slug}-value",
                secret=secret.id,
                secret_data=pulumi.Output.secret(value),
                opts=self._child,
            )
            secrets[secret_name] = (secret, version)

        topic = gcp.pubsub.Topic(
            f"{name}-topic",
            project=args.project,
            name=names.name("ingest", max_len=255),
            labels=labels,
            opts=self._after_apis,
        )
        dlq_topic = gcp.pubsub.Topic(
            f"{name}-dlq-topic",
            project=args.project,
            name=names.name("ingest-dlq", max_len=255),
            labels=labels,
            opts=self._after_apis,
        )
        # A dead-letter topic with no subscription drops what it receives: this one holds them for inspection.
        dlq_hold = gcp.pubsub.Subscription(
            f"{name}-dlq-hold",
            project=args.project,
            name=names.name("ingest-dlq-hold", max_len=255),
            topic=dlq_topic.id,
            message_retention_duration=f"{spec.DLQ_RETENTION_SECONDS // 2}s",
            expiration_policy={"ttl": ""},
            labels=labels,
            opts=self._child,
        )

        accounts = {
            role: gcp.serviceaccount.Account(
                f"{name}-{role}-sa",
                project=args.project,
                account_id=names.name(role, max_len=30),
                display_name=f"agentic-memory {role} ({names.stack})",
                opts=self._after_apis,
            )
            for role in ("http", "worker", "sweeper", "invoker")
        }
        self._grant_secrets(accounts, secrets)
        self._grant_storage_and_topic(accounts, archive, topic)

        environment: dict[str, pulumi.Input[str]] = {
            **spec.STATIC_ENVIRONMENT,
            "AGENT_TYPE": args.agent_type,
            "MEMORY_BACKEND": args.memory_backend,
            "ARCHIVE_BUCKET": archive.name,
            "ARCHIVE_PREFIX": spec.ARCHIVE_PREFIX,
            "PUBSUB_TOPIC": topic.id,
        }
        if args.memory_backend == "mem0":
            environment["MEM0_PENDING_PREFIX"] = spec.PENDING_PREFIX
        secret_env = [
            {"key": secret_name, "project_id": args.project, "secret": secret.secret_id, "version": version.version}
            for secret_name, (secret, version) in secrets.items()
        ]
        functions = {
            fn.role: self._function(fn, accounts[fn.role], source_bucket, source, environment, secret_env)
            for fn in spec.FUNCTIONS
        }
        http, worker, sweeper = functions["http"], functions["worker"], functions["sweeper"]

        gcp.cloudrun.IamMember(
            f"{name}-http-public",
            project=args.project,
            location=args.region,
            service=http.name,
            role="roles/run.invoker",
            member="allUsers",
            opts=self._child,
        )
        invoker = _member(accounts["invoker"].email)
        for role in ("worker", "sweeper"):
            gcp.cloudrun.IamMember(
                f"{name}-{role}-invoker",
                project=args.project,
                location=args.region,
                service=functions[role].name,
                role="roles/run.invoker",
                member=invoker,
                opts=self._child,
            )
        self._push_subscription(worker, topic, dlq_topic, accounts["invoker"])
        gcp.cloudscheduler.Job(
            f"{name}-sweep-schedule",
            project=args.project,
            region=args.region,
            name=names.name("sweep"),
            schedule=SWEEP_SCHEDULE,
            time_zone="Etc/UTC",
            attempt_deadline=f"{spec.SWEEPER.timeout_seconds}s",
            retry_config={"retry_count": 1},
            http_target={
                "uri": sweeper.service_config.uri,
                "http_method": "POST",
                "oidc_token": {
                    "service_account_email": accounts["invoker"].email,
                    "audience": sweeper.service_config.uri,
                },
            },
            opts=self._after_apis,
        )
        self._logs()
        self._alerts(dlq_hold)

        self.base_url = http.service_config.apply(lambda config: ((config.uri if config else None) or "").rstrip("/"))
        self.archive_bucket = archive.name
        self.source_object = source.name
        self.topic = topic.id
        self.dead_letter_topic = dlq_topic.id
        self.secret_ids = {secret_name: secret.secret_id for secret_name, (secret, _) in secrets.items()}
        self.function_names = {role: fn.name for role, fn in functions.items()}
        self.register_outputs(
            {
                "base_url": self.base_url,
                "archive_bucket": self.archive_bucket,
                "source_object": self.source_object,
                "topic": self.topic,
                "dead_letter_topic": self.dead_letter_topic,
                "secret_ids": self.secret_ids,
                "function_names": self.function_names,
            }
        )

    def _bucket(self, role: str, short: str, *, versioned: bool) -> gcp.storage.Bucket:
        """Private (uniform access, public access prevented) and Google-encrypted; the archive expires by retention."""
        args = self._args
        lifecycle: list[dict[str, Any]] = []
        if versioned:  # the archive: this rule, not the sweeper (which may not list it), expires events
            lifecycle = [
                {
                    "action": {"type": "Delete"},
                    "condition": {"age": args.archive_retention_days, "matches_prefixes": [spec.ARCHIVE_PREFIX]},
                },
                {
                    "action": {"type": "Delete"},
                    "condition": {"days_since_noncurrent_time": spec.NONCURRENT_VERSION_DAYS, "with_state": "ARCHIVED"},
                },
            ]
            if args.memory_backend == "mem0":  # pending records matter for minutes, their old generations not at all
                pending = {"matches_prefixes": [spec.PENDING_PREFIX]}
                lifecycle += [
                    {"action": {"type": "Delete"}, "condition": {"age": spec.PENDING_EXPIRY_DAYS, **pending}},
                    {
                        "action": {"type": "Delete"},
                        "condition": {
                            "days_since_noncurrent_time": spec.PENDING_EXPIRY_DAYS,
                            "with_state": "ARCHIVED",
                            **pending,
                        },
                    },
                ]
        return gcp.storage.Bucket(
            f"{self._name}-{role}",
            project=args.project,
            name=args.names.global_name(short, args.project),
            location=args.region,
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            versioning={"enabled": versioned},
            lifecycle_rules=lifecycle,
            force_destroy=not versioned,  # the source bucket only holds derived zips
            labels=dict(args.labels),
            opts=self._child,
        )

    def _grant_secrets(
        self,
        accounts: Mapping[str, gcp.serviceaccount.Account],
        secrets: Mapping[str, tuple[gcp.secretmanager.Secret, gcp.secretmanager.SecretVersion]],
    ) -> None:
        """Every function reads the stack's secrets (as on AWS, where the one secret holds them all); nothing else."""
        for role in ("http", "worker", "sweeper"):
            for secret_name, (secret, _) in secrets.items():
                gcp.secretmanager.SecretIamMember(
                    f"{self._name}-{role}-reads-{secret_slug(secret_name)}",
                    project=self._args.project,
                    secret_id=secret.id,
                    role="roles/secretmanager.secretAccessor",
                    member=_member(accounts[role].email),
                    opts=self._child,
                )

    def _grant_storage_and_topic(
        self, accounts: Mapping[str, gcp.serviceaccount.Account], archive: gcp.storage.Bucket, topic: gcp.pubsub.Topic
    ) -> None:
        """The archive grants of ``storage_grants``, each conditioned on its prefix; HTTP publishes to the topic."""
        for grant in storage_grants(self._args.memory_backend):
            gcp.storage.BucketIAMMember(
                f"{self._name}-{grant.role}-{grant.name}",
                bucket=archive.name,
                role=grant.bucket_role,
                member=_member(accounts[grant.role].email),
                condition=archive.name.apply(grant.condition),
                opts=self._child,
            )
        gcp.pubsub.TopicIAMMember(
            f"{self._name}-http-publishes",
            project=self._args.project,
            topic=topic.name,
            role="roles/pubsub.publisher",
            member=_member(accounts["http"].email),
            opts=self._child,
        )

    def _function(
        self,
        fn: FunctionSpec,
        account: gcp.serviceaccount.Account,
        bucket: gcp.storage.Bucket,
        source: gcp.storage.BucketObject,
        environment: Mapping[str, pulumi.Input[str]],
        secret_env: list[dict[str, pulumi.Input[str]]],
    ) -> gcp.cloudfunctionsv2.Function:
        args = self._args
        return gcp.cloudfunctionsv2.Function(
            f"{self._name}-{fn.role}",
            project=args.project,
            location=args.region,
            name=args.names.name(fn.role, max_len=63),
            description=f"agentic-memory {fn.description}",
            build_config={
                "runtime": RUNTIME,
                "entry_point": fn.gcp_entry_point,
                "source": {"storage_source": {"bucket": bucket.name, "object": source.name}},
            },
            service_config={
                "available_memory": f"{fn.memory_mb}M",
                "timeout_seconds": fn.timeout_seconds,
                "min_instance_count": args.warm_instances if fn.role == "http" else 0,
                "max_instance_count": spec.MAX_INSTANCES,
                "max_instance_request_concurrency": 1,
                "ingress_settings": "ALLOW_ALL" if fn.role == "http" else "ALLOW_INTERNAL_ONLY",
                "all_traffic_on_latest_revision": True,
                "service_account_email": account.email,
                "environment_variables": dict(environment),
                "secret_environment_variables": secret_env,
            },
            labels={**args.labels, "code-sha256-prefix": args.code_sha256[:16]},
            opts=self._after_apis,
        )

    def _push_subscription(
        self,
        worker: gcp.cloudfunctionsv2.Function,
        topic: gcp.pubsub.Topic,
        dlq_topic: gcp.pubsub.Topic,
        invoker: gcp.serviceaccount.Account,
    ) -> None:
        """Pub/Sub pushes to the worker (functions-framework turns the push into a CloudEvent); after
        ``MAX_DELIVERIES`` failures the message moves to the dead-letter topic."""
        name, args = self._name, self._args
        uri = worker.service_config.apply(lambda config: (config.uri if config else None) or "")
        subscription = gcp.pubsub.Subscription(
            f"{name}-push",
            project=args.project,
            name=args.names.name("ingest-push", max_len=255),
            topic=topic.id,
            ack_deadline_seconds=min(600, spec.WORKER.timeout_seconds),
            push_config={
                "push_endpoint": uri,
                "oidc_token": {"service_account_email": invoker.email, "audience": uri},
            },
            dead_letter_policy={"dead_letter_topic": dlq_topic.id, "max_delivery_attempts": spec.MAX_DELIVERIES},
            retry_policy=PUSH_BACKOFF,
            expiration_policy={"ttl": ""},
            labels=dict(args.labels),
            opts=self._child,
        )
        project = gcp.organizations.get_project_output(
            project_id=args.project, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        agent = project.number.apply(
            lambda number: f"serviceAccount:service-{number}@gcp-sa-pubsub.iam.gserviceaccount.com"
        )
        gcp.pubsub.TopicIAMMember(
            f"{name}-dlq-publisher",
            project=args.project,
            topic=dlq_topic.name,
            role="roles/pubsub.publisher",
            member=agent,
            opts=self._child,
        )
        gcp.pubsub.SubscriptionIAMMember(
            f"{name}-push-subscriber",
            project=args.project,
            subscription=subscription.name,
            role="roles/pubsub.subscriber",
            member=agent,
            opts=self._child,
        )
        gcp.serviceaccount.IAMMember(
            f"{name}-push-token-creator",
            service_account_id=invoker.name,
            role="roles/iam.serviceAccountTokenCreator",
            member=agent,
            opts=self._child,
        )

    def _logs(self) -> None:
        """The functions' logs also go to a log bucket of this stack, kept ``log_retention_days``."""
        name, args = self._name, self._args
        bucket = gcp.logging.ProjectBucketConfig(
            f"{name}-logs",
            project=args.project,
            location="global",
            bucket_id=args.names.name("logs", max_len=100),
            retention_days=args.log_retention_days,
            opts=self._after_apis,
        )
        services = " OR ".join(f'"{args.names.name(fn.role)}"' for fn in spec.FUNCTIONS)
        gcp.logging.ProjectSink(
            f"{name}-logs-sink",
            project=args.project,
            name=args.names.name("logs", max_len=100),
            destination=bucket.id.apply(lambda bucket_id: f"logging.googleapis.com/{bucket_id}"),
            filter=f'resource.type="cloud_run_revision" AND resource.labels.service_name=({services})',
            unique_writer_identity=True,
            opts=self._child,
        )

    def _alerts(self, dlq_hold: gcp.pubsub.Subscription) -> None:
        """5xx and 429 (throttled: instance limit) per function, and any message left in the dead-letter hold."""
        name, args = self._name, self._args
        channels: list[pulumi.Input[str]] = []
        if args.alert_email is not None:
            channel = gcp.monitoring.NotificationChannel(
                f"{name}-alerts-email",
                project=args.project,
                display_name=f"agentic-memory {args.names.stack}",
                type="email",
                labels={"email_address": args.alert_email},
                opts=self._after_apis,
            )
            channels.append(channel.name)

        def condition(title: str, metric_filter: str, aligner: str) -> dict[str, object]:
            return {
                "display_name": title,
                "condition_threshold": {
                    "filter": metric_filter,
                    "comparison": "COMPARISON_GT",
                    "threshold_value": 0,
                    "duration": "0s",
                    "aggregations": [{"alignment_period": ALERT_WINDOW, "per_series_aligner": aligner}],
                },
            }

        for kind, code_filter in (
            ("errors", 'metric.labels.response_code_class="5xx"'),
            ("throttles", 'metric.labels.response_code="429"'),
        ):
            conditions = [
                condition(
                    f"{args.names.name(fn.role)} {kind}",
                    'resource.type="cloud_run_revision" AND metric.type="run.googleapis.com/request_count" AND '
                    f'resource.labels.service_name="{args.names.name(fn.role)}" AND {code_filter}',
                    "ALIGN_DELTA",
                )
                for fn in spec.FUNCTIONS
            ]
            gcp.monitoring.AlertPolicy(
                f"{name}-{kind}",
                project=args.project,
                display_name=args.names.name(kind),
                combiner="OR",
                conditions=conditions,
                notification_channels=channels,
                opts=self._after_apis,
            )
        gcp.monitoring.AlertPolicy(
            f"{name}-dead-letters",
            project=args.project,
            display_name=args.names.name("dead-letters"),
            combiner="OR",
            conditions=[
                condition(
                    "events in the dead-letter topic",
                    dlq_hold.name.apply(
                        lambda sub: (
                            'resource.type="pubsub_subscription" AND '
                            'metric.type="pubsub.googleapis.com/subscription/num_undelivered_messages" AND '
                            f'resource.labels.subscription_id="{sub}"'
                        )
                    ),
                    "ALIGN_MAX",
                )
            ],
            documentation={
                "content": "Post-call events failed every retry: fix the cause, then replay from the archive."
            },
            notification_channels=channels,
            opts=self._after_apis,
        )


__all__ = ["GcpMemoryService", "GcpMemoryServiceArgs", "StorageGrant", "secret_slug", "storage_grants"]
