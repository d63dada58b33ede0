"""Who may do what on GCP: each function's prefix-conditioned archive grants, secret reads and topic publishing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from infra import spec
from infra.spec import FunctionRole

SecretPair = tuple[gcp.secretmanager.Secret, gcp.secretmanager.SecretVersion]


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
    the event prefix (``objectUser``: get, list, create, delete). With mem0 both read, write, list and delete the
    pending log under its own prefix: a rewritten record's older generations are deleted at once, and erasure
    deletes every generation. The sweeper gets none: the bucket's lifecycle rules expire events."""
    grants = [
        StorageGrant("http", "archive", "roles/storage.objectCreator", spec.ARCHIVE_PREFIX),
        StorageGrant("worker", "archive", "roles/storage.objectUser", spec.ARCHIVE_PREFIX, listing=True),
    ]
    if memory_backend == "mem0":
        grants += [
            StorageGrant(role, "mem0-pending", "roles/storage.objectUser", spec.PENDING_PREFIX, listing=True)
            for role in ("http", "worker")
        ]
    return tuple(grants)


def secret_slug(secret_name: str) -> str:
    return secret_name.lower().replace("_", "-")


def member(email: pulumi.Input[str]) -> pulumi.Output[str]:
    """The IAM member string of a service account."""
    return pulumi.Output.from_input(email).apply(lambda value: f"serviceAccount:{value}")


def grant_secrets(
    name: str,
    project: str,
    accounts: Mapping[str, gcp.serviceaccount.Account],
    secrets: Mapping[str, SecretPair],
    *,
    parent: pulumi.Resource,
) -> None:
    """Every function reads the stack's secrets (as on AWS, where the one secret holds them all); nothing else."""
    child = pulumi.ResourceOptions(parent=parent)
    for role in ("http", "worker", "sweeper"):
        for secret_name, (secret, _) in secrets.items():
            gcp.secretmanager.SecretIamMember(
                f"{name}-{role}-reads-{secret_slug(secret_name)}",
                project=project,
                secret_id=secret.id,
                role="roles/secretmanager.secretAccessor",
                member=member(accounts[role].email),
                opts=child,
            )


def grant_storage_and_topic(
    name: str,
    project: str,
    memory_backend: str,
    accounts: Mapping[str, gcp.serviceaccount.Account],
    archive: gcp.storage.Bucket,
    topic: gcp.pubsub.Topic,
    *,
    parent: pulumi.Resource,
) -> None:
    """The archive grants of ``storage_grants``, each conditioned on its prefix; HTTP publishes to the topic."""
    child = pulumi.ResourceOptions(parent=parent)
    for grant in storage_grants(memory_backend):
        gcp.storage.BucketIAMMember(
            f"{name}-{grant.role}-{grant.name}",
            bucket=archive.name,
            role=grant.bucket_role,
            member=member(accounts[grant.role].email),
            condition=archive.name.apply(grant.condition),
            opts=child,
        )
    gcp.pubsub.TopicIAMMember(
        f"{name}-http-publishes",
        project=project,
        topic=topic.name,
        role="roles/pubsub.publisher",
        member=member(accounts["http"].email),
        opts=child,
    )


__all__ = [
    "SecretPair",
    "StorageGrant",
    "grant_secrets",
    "grant_storage_and_topic",
    "member",
    "secret_slug",
    "storage_grants",
]
