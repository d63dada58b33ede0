"""``GcpMemoryService``: one agent type's memory service on Cloud Functions gen2, sharing nothing with other stacks.

The code zip goes to a source bucket under its content hash (gen2 redeploys only when the object name
changes). Three functions run it: ``http`` (public), ``worker`` (pushed by a Pub/Sub subscription with a
dead-letter topic) and ``sweeper`` (Cloud Scheduler), each as its own service account. Secrets live in
Secret Manager, one per name (the ``CALLER_REF_KEY`` the stack draws itself among them), mounted as
environment variables pinned to the version this update wrote. With ``memoryBackend: firestore`` (the default on
GCP) memories live in the stack's own Firestore database. This module composes them; the larger parts live beside
it: ``gcp_iam`` (grants), ``gcp_pubsub`` (topics and the push subscription), ``gcp_monitoring`` (logs and alerts),
``gcp_firestore`` (the memory database and its grants).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_gcp as gcp

from infra import spec
from infra.caller_ref_key import CALLER_REF_KEY, caller_ref_key
from infra.gcp_firestore import grant_firestore, memory_database
from infra.gcp_iam import SecretPair, grant_secrets, grant_storage_and_topic, member, secret_slug
from infra.gcp_monitoring import alert_policies, log_bucket
from infra.gcp_pubsub import push_subscription, topics
from infra.naming import StackNames
from infra.spec import FunctionSpec

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
    "firestore",
)
SWEEP_SCHEDULE = "17 3 * * *"  # daily, off the hour


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
    memory_recovery_days: int = 7  # Firestore point-in-time recovery: 7 (its only window) or 0 (off)
    memory_deletion_protection: bool = True
    mem0_host: str | None = None  # MEM0_HOST with the mem0 backend; unset: Mem0 Platform


class GcpMemoryService(pulumi.ComponentResource):
    base_url: pulumi.Output[str]
    archive_bucket: pulumi.Output[str]
    source_object: pulumi.Output[str]
    topic: pulumi.Output[str]
    dead_letter_topic: pulumi.Output[str]
    secret_ids: dict[str, pulumi.Output[str]]
    function_names: dict[str, pulumi.Output[str]]
    memory_database: pulumi.Output[str] | None

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

        secrets: dict[str, SecretPair] = {}
        values = {**args.secrets, CALLER_REF_KEY: caller_ref_key(name, parent=self)}
        for secret_name, value in sorted(values.items()):
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

        pubsub = topics(name, names, args.project, labels=labels, parent=self, after_apis=self._after_apis)

        accounts = {
            role: gcp.serviceaccount.Account(
                f"{name}-{role}-sa",
                project=args.project,
                account_id=names.name(role, max_len=30),
                display_name=names.title(f"agentic-memory {role}"),
                opts=self._after_apis,
            )
            for role in ("http", "worker", "sweeper", "invoker")
        }
        grant_secrets(name, args.project, accounts, secrets, parent=self)
        grant_storage_and_topic(name, args.project, args.memory_backend, accounts, archive, pubsub.ingest, parent=self)
        database = None
        if args.memory_backend == "firestore":
            database = memory_database(
                name,
                names,
                args.project,
                args.region,
                recovery_days=args.memory_recovery_days,
                deletion_protection=args.memory_deletion_protection,
                parent=self,
                after_apis=self._after_apis,
            )
            grant_firestore(name, names, args.project, accounts, database, parent=self)

        environment: dict[str, pulumi.Input[str]] = {
            **spec.STATIC_ENVIRONMENT,
            "AGENT_TYPE": args.agent_type,
            "MEMORY_BACKEND": args.memory_backend,
            "ARCHIVE_BUCKET": archive.name,
            "ARCHIVE_PREFIX": spec.ARCHIVE_PREFIX,
            "PUBSUB_TOPIC": pubsub.ingest.id,
        }
        if args.memory_backend == "mem0":
            environment["MEM0_PENDING_PREFIX"] = spec.PENDING_PREFIX
            if args.mem0_host:
                environment["MEM0_HOST"] = args.mem0_host
        if database is not None:
            environment.update({"FIRESTORE_PROJECT": args.project, "FIRESTORE_DATABASE": database.name})
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
        invoker = member(accounts["invoker"].email)
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
        push_subscription(name, names, args.project, worker, pubsub, accounts["invoker"], labels=labels, parent=self)
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
        log_bucket(
            name,
            names,
            args.project,
            retention_days=args.log_retention_days,
            parent=self,
            after_apis=self._after_apis,
        )
        alert_policies(
            name, names, args.project, pubsub.hold, alert_email=args.alert_email, after_apis=self._after_apis
        )

        self.base_url = http.service_config.apply(lambda config: ((config.uri if config else None) or "").rstrip("/"))
        self.archive_bucket = archive.name
        self.source_object = source.name
        self.topic = pubsub.ingest.id
        self.dead_letter_topic = pubsub.dead_letter.id
        self.secret_ids = {secret_name: secret.secret_id for secret_name, (secret, _) in secrets.items()}
        self.function_names = {role: fn.name for role, fn in functions.items()}
        self.memory_database = database.name if database is not None else None
        self.register_outputs(
            {
                "base_url": self.base_url,
                "archive_bucket": self.archive_bucket,
                "source_object": self.source_object,
                "topic": self.topic,
                "dead_letter_topic": self.dead_letter_topic,
                "secret_ids": self.secret_ids,
                "function_names": self.function_names,
                "memory_database": self.memory_database,
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
            # Cloud Storage keeps a deleted object restorable for 7 days by default (soft delete), deleted
            # generations included: erasure must be final when it returns, so the archive keeps none.
            soft_delete_policy={"retention_duration_seconds": 0} if versioned else None,
            lifecycle_rules=lifecycle,
            # The source bucket only holds derived zips; the archive goes with its calls only without deletion
            # protection (memoryDeletionProtection: false), as the memory database does; else the destroy stops here.
            force_destroy=not versioned or not args.memory_deletion_protection,
            labels=dict(args.labels),
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


__all__ = ["GcpMemoryService", "GcpMemoryServiceArgs"]
