"""Issue 13, Must show 3 (GCP): under Pulumi's mocks, the stack's Firestore database with TTL, point-in-time recovery
and delete protection, the indexes the store's queries need, and each function's exact grant on that database."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from functions.gcp.store import INDEXES, UNINDEXED_FIELDS
from infra.bundle import Bundle
from infra.gcp_firestore import FIRESTORE_PERMISSIONS
from infra.program import run_program
from infra.stack_config import build_stack_config
from tests.infra.conftest import GCP_PROJECT, GCP_REGION, RecordingMocks, after_all, stack_values

DATABASE = "am-dev-memories"
CONDITION = f'resource.name == "projects/{GCP_PROJECT}/databases/{DATABASE}"'


@pulumi.runtime.test
def test_firestore_is_the_default_on_gcp_with_ttl_recovery_and_protection(mocks: RecordingMocks, bundle: Bundle) -> Any:
    config = build_stack_config(stack_values("generic_voice_agent", "gcp"))
    assert config.memory_backend == "firestore"
    outputs = run_program(config, bundle)

    def check(_: dict[str, Any]) -> None:
        (database,) = mocks.of_type("gcp:firestore/database:Database")
        assert database.inputs == {
            "project": GCP_PROJECT,
            "name": DATABASE,
            "locationId": GCP_REGION,
            "type": "FIRESTORE_NATIVE",
            "concurrencyMode": "OPTIMISTIC",
            "appEngineIntegrationMode": "DISABLED",
            "pointInTimeRecoveryEnablement": "POINT_IN_TIME_RECOVERY_ENABLED",
            "deleteProtectionState": "DELETE_PROTECTION_ENABLED",
            "deletionPolicy": "DELETE",
        }  # no cmekConfig: encrypted at rest with Google-managed keys
        fields = {f.inputs["field"]: f.inputs for f in mocks.of_type("gcp:firestore/field:Field")}
        assert all(f["database"] == DATABASE and f["collection"] == "memories" for f in fields.values())
        assert fields["expires_at"]["ttlConfig"] == {}
        assert [name for name, f in fields.items() if "ttlConfig" in f] == ["expires_at"]
        for name in ("id", "agent_type", "expires_at"):  # queried across callers: collection-group indexes
            assert fields[name]["indexConfig"] == {
                "indexes": [{"order": "ASCENDING", "queryScope": "COLLECTION_GROUP"}]
            }
        for name in UNINDEXED_FIELDS:  # nothing queries them: exempt from automatic indexing
            assert fields[name]["indexConfig"] == {}
        assert {"text", "metadata", "user_id"} <= set(UNINDEXED_FIELDS)
        (index,) = mocks.of_type("gcp:firestore/index:Index")
        assert index.inputs["database"] == DATABASE and index.inputs["collection"] == "memories"
        assert index.inputs["queryScope"] == "COLLECTION"
        assert index.inputs["fields"] == [
            {"fieldPath": "agent_type", "order": "ASCENDING"},
            {"fieldPath": "created_at", "order": "DESCENDING"},
        ]
        assert len([i for i in INDEXES if len(i.fields) > 1]) == 1
        for fn in mocks.of_type("gcp:cloudfunctionsv2/function:Function"):
            env = fn.inputs["serviceConfig"]["environmentVariables"]
            assert (env["MEMORY_BACKEND"], env["FIRESTORE_DATABASE"], env["FIRESTORE_PROJECT"]) == (
                "firestore",
                DATABASE,
                GCP_PROJECT,
            )
        services = {s.inputs["service"] for s in mocks.of_type("gcp:projects/service:Service")}
        assert "firestore.googleapis.com" in services

    return after_all(outputs).apply(check)


@pulumi.runtime.test
def test_each_function_gets_exactly_its_firestore_permissions_on_this_database(
    mocks: RecordingMocks, bundle: Bundle
) -> Any:
    outputs = run_program(build_stack_config(stack_values("elevenlabs_customer_support", "gcp")), bundle)

    def check(_: dict[str, Any]) -> None:
        email = {a.inputs["accountId"]: a.state["email"] for a in mocks.of_type("gcp:serviceaccount/account:Account")}
        roles = {r.state["name"]: r.inputs for r in mocks.of_type("gcp:projects/iAMCustomRole:IAMCustomRole")}
        granted = {}
        for grant in mocks.of_type("gcp:projects/iAMMember:IAMMember"):
            assert grant.inputs["condition"]["expression"] == CONDITION
            assert grant.inputs["project"] == GCP_PROJECT
            granted[grant.inputs["member"]] = sorted(roles[grant.inputs["role"]]["permissions"])
        assert granted == {
            f"serviceAccount:{email['am-dev-http']}": [
                "datastore.entities.delete",
                "datastore.entities.get",
                "datastore.entities.list",
                "datastore.entities.update",
            ],
            f"serviceAccount:{email['am-dev-worker']}": [
                "datastore.entities.create",
                "datastore.entities.delete",
                "datastore.entities.get",
                "datastore.entities.list",
            ],
            f"serviceAccount:{email['am-dev-sweeper']}": ["datastore.entities.delete", "datastore.entities.get"],
        }  # the invoker account gets nothing; only HTTP updates (vectors of memories stored before them)
        assert all("*" not in p for permissions in granted.values() for p in permissions)
        assert set(FIRESTORE_PERMISSIONS) == {"http", "worker", "sweeper"}

    return after_all(outputs).apply(check)


@pulumi.runtime.test
def test_recovery_and_protection_can_be_turned_off(mocks: RecordingMocks, bundle: Bundle) -> Any:
    values = stack_values("generic_voice_agent", "gcp", memoryRecoveryDays="0", memoryDeletionProtection="false")
    outputs = run_program(build_stack_config(values), bundle)

    def check(_: dict[str, Any]) -> None:
        (database,) = mocks.of_type("gcp:firestore/database:Database")
        assert database.inputs["pointInTimeRecoveryEnablement"] == "POINT_IN_TIME_RECOVERY_DISABLED"
        assert database.inputs["deleteProtectionState"] == "DELETE_PROTECTION_DISABLED"

    return after_all(outputs).apply(check)


def test_a_recovery_window_firestore_cannot_keep_is_refused(bundle: Bundle) -> None:
    from shared.errors import ConfigError

    with pytest.raises(ConfigError, match=r"Firestore.*7 days"):
        build_stack_config(stack_values("generic_voice_agent", "gcp", memoryRecoveryDays="35"))


@pulumi.runtime.test
def test_mem0_on_gcp_declares_no_database_and_no_grant(mocks: RecordingMocks, bundle: Bundle) -> Any:
    outputs = run_program(build_stack_config(stack_values("generic_voice_agent", "gcp", memoryBackend="mem0")), bundle)

    def check(_: dict[str, Any]) -> None:
        assert not [r for r in mocks.resources if r.typ.startswith(("gcp:firestore/", "gcp:projects/iAM"))]
        for fn in mocks.of_type("gcp:cloudfunctionsv2/function:Function"):
            assert "FIRESTORE_DATABASE" not in fn.inputs["serviceConfig"]["environmentVariables"]

    return after_all(outputs).apply(check)
