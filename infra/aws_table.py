"""The stack's memory table (``memoryBackend: dynamodb``): on demand, TTL on the expiry attribute, point-in-time
recovery for a configurable window, deletion protection, encrypted with a KMS key.

Its keys and indexes come from ``functions.aws.store_items`` (the one layout the store reads and writes), so the
table the stack declares is the table the store expects.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from functions.aws.store_items import INDEXES, KEY_ATTRIBUTES, TTL_ATTRIBUTE
from infra.naming import StackNames


def memory_table(
    name: str,
    names: StackNames,
    *,
    recovery_days: int,
    deletion_protection: bool,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> aws.dynamodb.Table:
    """``recovery_days`` 0 turns point-in-time recovery off: an erased caller is then gone at once, not restorable
    for the window (which is the price of being able to undo a bad deploy)."""
    partition, sort = KEY_ATTRIBUTES
    attributes = {partition, sort}
    indexes = []
    for index, (hash_key, range_key, projection) in sorted(INDEXES.items()):
        keys = [(hash_key, "HASH")] + ([(range_key, "RANGE")] if range_key else [])
        attributes |= {attribute for attribute, _ in keys}
        schema = [aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(attribute_name=a, key_type=k) for a, k in keys]
        indexes.append(
            aws.dynamodb.TableGlobalSecondaryIndexArgs(name=index, key_schemas=schema, projection_type=projection)
        )
    recovery = aws.dynamodb.TablePointInTimeRecoveryArgs(
        enabled=recovery_days > 0, recovery_period_in_days=recovery_days if recovery_days > 0 else None
    )
    return aws.dynamodb.Table(
        f"{name}-memories",
        name=names.name("memories"),
        billing_mode="PAY_PER_REQUEST",
        hash_key=partition,
        range_key=sort,
        attributes=[aws.dynamodb.TableAttributeArgs(name=attribute, type="S") for attribute in sorted(attributes)],
        global_secondary_indexes=indexes,
        ttl=aws.dynamodb.TableTtlArgs(attribute_name=TTL_ATTRIBUTE, enabled=True),
        point_in_time_recovery=recovery,
        server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
        deletion_protection_enabled=deletion_protection,
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def index_arns(table_arn: str) -> dict[str, str]:
    """Each index's ARN, as IAM names it (``<table arn>/index/<name>``)."""
    return {index: f"{table_arn}/index/{index}" for index in INDEXES}


__all__ = ["index_arns", "memory_table"]
