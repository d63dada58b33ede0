"""Least-privilege IAM for the Lambda functions: the trust policy, and each role's inline policy over this stack's ARNs.

Plain data in, plain JSON-shaped dicts out (no Pulumi), so the policy a role gets can be tested against the calls
the ports really make (``tests/functions/test_aws_least_privilege.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from functions.aws.store_items import BY_DAY, BY_EXPIRY
from infra import spec
from infra.spec import FunctionRole
from shared.ingest.erasures import ERASED_PREFIX

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


@dataclass(frozen=True)
class StackArns:
    """The ARNs of this stack's own resources: the only things a function's policy may name."""

    secret: str
    bucket: str
    queue: str
    log_group: str
    table: str | None = None  # the memory table (memoryBackend dynamodb)


def _allow(actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": sorted(actions), "Resource": resources}


def _allow_listing(actions: list[str], bucket: str, prefix: str) -> dict[str, Any]:
    """Listing the bucket, but only under ``prefix`` (a request without that prefix is denied)."""
    return {**_allow(actions, [bucket]), "Condition": {"StringLike": {"s3:prefix": [f"{prefix}*"]}}}


def function_policy(role: FunctionRole, arns: StackArns, *, mem0_pending: bool = False) -> dict[str, Any]:
    """Least privilege per function: read the stack secret, write its own logs, plus what the role does.

    HTTP: write new events, send to the queue. Worker: read events; for erase jobs, list the event prefix and
    read and delete every object version under it, and write the record of when a caller was erased (so a late
    resend of their old call is not remembered). With ``mem0_pending`` both also read and write the mem0 pending
    log under its own prefix and delete its object versions (a record is rewritten, then its older versions go;
    erasure removes every version), and may list that prefix and its versions (S3 answers a missing key with 403
    to a role that may not list; the archive then lists that one key). No plain ``s3:DeleteObject``: in a versioned
    bucket it only lays a delete marker over the caller's data. The sweeper touches no storage: the bucket's
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
            _allow(["s3:PutObject"], [f"{arns.bucket}/{spec.ARCHIVE_PREFIX}{ERASED_PREFIX}*"]),
        ]
    if arns.table:
        statements += table_statements(role, arns.table)
    if mem0_pending and role in ("http", "worker"):
        statements += [
            _allow(
                ["s3:GetObject", "s3:PutObject", "s3:DeleteObjectVersion"], [f"{arns.bucket}/{spec.PENDING_PREFIX}*"]
            ),
            _allow_listing(["s3:ListBucket", "s3:ListBucketVersions"], arns.bucket, spec.PENDING_PREFIX),
        ]
    return {"Version": "2012-10-17", "Statement": statements}


def table_statements(role: FunctionRole, table: str) -> list[dict[str, Any]]:
    """The memory table's actions each function's store calls make, on the table or the one index it reads.

    HTTP: the caller's memories (pre-call, tool, admin list), analytics day by day (``by_day``), erasure (its
    deletes), and the tool's first use of memories stored without a meaning vector (imported, or written before
    vectors) keeps the vector on the item (``set_vectors``: a conditional update). Worker: adds (conditional puts
    in transactions), erase jobs (key-only query, deletes). Sweeper: the expired memories by ``by_expiry``, and
    their deletes. Nobody scans the table or deletes it.
    """
    index = f"{table}/index/"
    if role == "http":
        return [
            _allow(["dynamodb:Query"], [table, index + BY_DAY]),
            _allow(["dynamodb:BatchWriteItem", "dynamodb:UpdateItem"], [table]),
        ]
    if role == "worker":
        return [_allow(["dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:Query"], [table])]
    return [_allow(["dynamodb:Query"], [index + BY_EXPIRY]), _allow(["dynamodb:BatchWriteItem"], [table])]


__all__ = ["LAMBDA_TRUST", "StackArns", "function_policy", "table_statements"]
