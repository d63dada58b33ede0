"""The AWS archive bucket: raw post-call bodies for replay, private, encrypted, versioned, expired by retention."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from infra import spec
from infra.naming import StackNames


def archive_bucket(
    name: str,
    names: StackNames,
    *,
    retention_days: pulumi.Input[int],
    mem0: bool,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    force_destroy: bool = False,
) -> aws.s3.Bucket:
    """The bucket (named after the account, as bucket names are global) and every setting that keeps it private.

    ``force_destroy`` (``memoryDeletionProtection: false``) lets ``pulumi destroy`` delete it with the archived calls
    and every version of them; otherwise S3 refuses to delete a bucket that holds any, and the destroy stops there.
    """
    child = pulumi.ResourceOptions(parent=parent)
    account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent))
    bucket = aws.s3.Bucket(
        f"{name}-archive",
        bucket=account.account_id.apply(lambda account_id: names.global_name("archive", account_id)),
        force_destroy=force_destroy,
        tags=dict(tags),
        opts=child,
    )
    block = aws.s3.BucketPublicAccessBlock(
        f"{name}-archive-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
    )
    aws.s3.BucketOwnershipControls(
        f"{name}-archive-ownership",
        bucket=bucket.id,
        rule={"object_ownership": "BucketOwnerEnforced"},
        opts=child,
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-archive-encryption",
        bucket=bucket.id,
        rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
        opts=child,
    )
    versioning = aws.s3.BucketVersioning(
        f"{name}-archive-versioning",
        bucket=bucket.id,
        versioning_configuration={"status": "Enabled"},
        opts=child,
    )
    aws.s3.BucketLifecycleConfiguration(
        f"{name}-archive-lifecycle",
        bucket=bucket.id,
        rules=_lifecycle_rules(retention_days, mem0=mem0),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[versioning]),
    )
    aws.s3.BucketPolicy(
        f"{name}-archive-tls-only",
        bucket=bucket.id,
        policy=bucket.arn.apply(lambda arn: json.dumps(_tls_only(arn))),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[block]),
    )
    return bucket


def _lifecycle_rules(retention_days: pulumi.Input[int], *, mem0: bool) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [
        {  # the archive's retention (the sweeper may not list the bucket: this rule is what expires events)
            "id": "retention",
            "status": "Enabled",
            "filter": {"prefix": spec.ARCHIVE_PREFIX},
            "expiration": {"days": retention_days},
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
    if mem0:  # pending records (memories on their way to Mem0) matter for minutes, old versions not at all
        rules.append(
            {
                "id": "mem0-pending",
                "status": "Enabled",
                "filter": {"prefix": spec.PENDING_PREFIX},
                "expiration": {"days": spec.PENDING_EXPIRY_DAYS},
                "noncurrent_version_expiration": {"noncurrent_days": spec.PENDING_EXPIRY_DAYS},
            }
        )
    return rules


def _tls_only(arn: str) -> dict[str, Any]:
    return {
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


__all__ = ["archive_bucket"]
