"""The stack's own Firestore database (native mode) for ``memoryBackend: firestore``, and who may use it.

One database per stack, in the functions' region, so two stacks share no memory and every grant can name its
database. What the store (``functions/gcp/store.py``) needs is declared from its own constants: the TTL policy on
``expires_at`` (deletes lag up to 24 h; reads filter), the composite and collection-group indexes its queries use
(the emulator does not enforce them, the real service refuses a query without one), and exemptions for the fields
nothing queries. Point-in-time recovery (a fixed 7-day window on Firestore) follows ``memoryRecoveryDays``;
delete protection follows ``memoryDeletionProtection``; data is encrypted at rest with Google-managed keys.

Firestore has no per-database IAM resource: each function gets a per-stack custom role holding only the
Firestore permissions it uses, bound on the project with a condition naming this database.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_gcp as gcp

from functions.gcp.store import EXPIRY_FIELD, INDEXES, MEMORIES, UNINDEXED_FIELDS, Index
from infra.gcp_iam import member
from infra.naming import StackNames
from infra.stack_config import FIRESTORE_RECOVERY_DAYS

FIRESTORE_PITR_DAYS = FIRESTORE_RECOVERY_DAYS

# Per function, the Firestore permissions its code paths use (Firestore's IAM table: runQuery needs
# entities.get; listCollectionIds entities.list; a create-only write entities.create; a delete entities.delete).
FIRESTORE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    # pre-call, tool, admin list and analytics (queries); admin erasure (recursive_delete lists and deletes); the
    # tool's first search of memories stored before vectors existed keeps their vectors (set_vectors: an update)
    "http": (
        "datastore.entities.delete",
        "datastore.entities.get",
        "datastore.entities.list",
        "datastore.entities.update",
    ),
    # adds (create-only writes), reads, erase jobs (recursive_delete)
    "worker": (
        "datastore.entities.create",
        "datastore.entities.delete",
        "datastore.entities.get",
        "datastore.entities.list",
    ),
    # the sweep: a collection-group query, then deletes
    "sweeper": ("datastore.entities.delete", "datastore.entities.get"),
}


def memory_database(
    name: str,
    names: StackNames,
    project: str,
    region: str,
    *,
    recovery_days: int,
    deletion_protection: bool,
    parent: pulumi.Resource,
    after_apis: pulumi.ResourceOptions,
) -> gcp.firestore.Database:
    """The database, its TTL policy, its indexes and its exemptions."""
    if recovery_days not in (0, FIRESTORE_PITR_DAYS):
        raise ValueError(
            f"memoryRecoveryDays {recovery_days}: Firestore's point-in-time recovery keeps exactly "
            f"{FIRESTORE_PITR_DAYS} days; use {FIRESTORE_PITR_DAYS} or 0 (off)"
        )
    database = gcp.firestore.Database(
        f"{name}-memories",
        project=project,
        name=names.name("memories", max_len=63),
        location_id=region,
        type="FIRESTORE_NATIVE",
        concurrency_mode="OPTIMISTIC",
        app_engine_integration_mode="DISABLED",
        point_in_time_recovery_enablement=(
            "POINT_IN_TIME_RECOVERY_ENABLED" if recovery_days else "POINT_IN_TIME_RECOVERY_DISABLED"
        ),
        delete_protection_state="DELETE_PROTECTION_ENABLED" if deletion_protection else "DELETE_PROTECTION_DISABLED",
        deletion_policy="DELETE",  # `pulumi destroy` deletes it, unless delete protection is on (the default)
        opts=after_apis,
    )
    child = pulumi.ResourceOptions(parent=parent, depends_on=[database])
    for index in INDEXES:
        if index.scope == "COLLECTION" and len(index.fields) > 1:
            _composite(name, project, database, index, child)
    for field_name, configuration in field_overrides().items():
        gcp.firestore.Field(
            f"{name}-memories-field-{field_name.replace('_', '-')}",
            project=project,
            database=database.name,
            collection=MEMORIES,
            field=field_name,
            index_config=configuration.get("index_config"),
            ttl_config=configuration.get("ttl_config"),
            opts=child,
        )
    return database


def _composite(
    name: str, project: str, database: gcp.firestore.Database, index: Index, opts: pulumi.ResourceOptions
) -> gcp.firestore.Index:
    slug = "-".join(field.replace("_", "-") for field, _ in index.fields)
    return gcp.firestore.Index(
        f"{name}-memories-index-{slug}",
        project=project,
        database=database.name,
        collection=MEMORIES,
        query_scope=index.scope,
        fields=[{"field_path": field, "order": order} for field, order in index.fields],
        opts=opts,
    )


def field_overrides() -> dict[str, dict[str, object]]:
    """Per field of a memory document, its override: collection-group indexes where the store queries across
    callers (the TTL field among them), none at all where nothing queries."""
    overrides: dict[str, dict[str, object]] = {}
    for index in INDEXES:
        if index.scope == "COLLECTION_GROUP" and len(index.fields) == 1:
            ((field_name, order),) = index.fields
            overrides[field_name] = {"index_config": {"indexes": [{"order": order, "query_scope": index.scope}]}}
    overrides[EXPIRY_FIELD] = {**overrides.get(EXPIRY_FIELD, {}), "ttl_config": {}}
    for field_name in UNINDEXED_FIELDS:
        overrides[field_name] = {"index_config": {}}
    return overrides


def database_condition(project: str, database: pulumi.Input[str]) -> pulumi.Output[dict[str, str]]:
    return pulumi.Output.from_input(database).apply(
        lambda db: {
            "title": "this-stacks-memory-database",
            "expression": f'resource.name == "projects/{project}/databases/{db}"',
        }
    )


def grant_firestore(
    name: str,
    names: StackNames,
    project: str,
    accounts: Mapping[str, gcp.serviceaccount.Account],
    database: gcp.firestore.Database,
    *,
    parent: pulumi.Resource,
) -> None:
    """Each function: a custom role with exactly ``FIRESTORE_PERMISSIONS[role]``, on this database only."""
    child = pulumi.ResourceOptions(parent=parent)
    for role, permissions in FIRESTORE_PERMISSIONS.items():
        custom = gcp.projects.IAMCustomRole(
            f"{name}-{role}-firestore-role",
            project=project,
            role_id=names.name(f"{role}-memories").replace("-", "_"),
            title=names.title(f"agentic-memory {role} memories"),
            description=f"What the {role} function of stack {names.stack} does with its memory database",
            permissions=list(permissions),
            opts=child,
        )
        gcp.projects.IAMMember(
            f"{name}-{role}-uses-memories",
            project=project,
            role=custom.name,
            member=member(accounts[role].email),
            condition=database_condition(project, database.name),
            opts=child,
        )


__all__ = ["FIRESTORE_PERMISSIONS", "database_condition", "field_overrides", "grant_firestore", "memory_database"]
