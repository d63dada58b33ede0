"""The tenants file: everything wrong is rejected before anything runs, and no input is ever echoed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.tenants.errors import TenantsFileError
from infra.tenants.models import SCHEMA_PATH, TenantsFile, load_tenants, parse_tenants, tenants_schema_text
from infra.tenants.stacks import plan_stacks
from tests.tenants.conftest import REPO, THREE_TENANTS

PASTED_SECRET = "sk-live-9f8e7d6c5b4a"


def tenant(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "acme",
        "agent_type": "generic_voice_agent",
        "cloud": "aws",
        "region": "us-east-1",
        "secrets": {"GENERIC_API_KEY": "env:A", "ADMIN_API_KEY": "env:B", "MEM0_API_KEY": "env:C"},
    }
    base.update(fields)
    return base


def error_of(data: object) -> str:
    with pytest.raises(TenantsFileError) as caught:
        parse_tenants(data)
    return str(caught.value)


def test_the_committed_schema_matches_the_model() -> None:
    assert SCHEMA_PATH.read_text() == tenants_schema_text(), "run: agentic-memory tenants schema"


def test_the_shipped_example_is_valid_and_uses_every_cloud_and_platform() -> None:
    parsed = load_tenants(REPO / "tenants.example.yaml")
    assert {t.cloud for t in parsed.tenants} == {"aws", "gcp"}
    assert len({t.agent_type for t in parsed.tenants}) == len(parsed.tenants)
    assert plan_stacks(parsed, parsed.tenants)  # required secrets all referenced
    for item in parsed.tenants:
        assert all(ref.startswith(("env:", "file:")) for ref in item.secrets.values())


def test_the_test_file_parses(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(THREE_TENANTS)
    parsed = load_tenants(path)
    assert [t.id for t in parsed.tenants] == ["acme-support", "globex-sales", "initech-desk"]
    assert parsed.defaults.config == {"logRetentionDays": 14}


def test_a_secret_value_inline_is_rejected_and_not_echoed() -> None:
    message = error_of({"tenants": [tenant(secrets={"ADMIN_API_KEY": PASTED_SECRET})]})
    assert "tenants[0] (id 'acme'): field secrets.ADMIN_API_KEY" in message
    assert "env:VARIABLE" in message and PASTED_SECRET not in message


@pytest.mark.parametrize("reference", ["env:", "env:1ABC", "file:", "vault:x/y", "ENV:A"])
def test_malformed_references_are_rejected(reference: str) -> None:
    assert "secrets.ADMIN_API_KEY" in error_of({"tenants": [tenant(secrets={"ADMIN_API_KEY": reference})]})


def test_duplicate_ids_are_rejected_even_ignoring_case() -> None:
    message = error_of({"tenants": [tenant(id="acme"), tenant(id="Acme")]})
    assert "duplicate tenant id 'Acme'" in message


def test_unknown_agent_types_are_all_named() -> None:
    message = error_of({"tenants": [tenant(id="a", agent_type="nope"), tenant(id="b", agent_type="gone")]})
    assert "tenant 'a': unknown agent type 'nope'" in message and "tenant 'b': unknown agent type 'gone'" in message
    assert "generic_voice_agent" in message  # the known ones are listed


@pytest.mark.parametrize("bad_id", ["acme/prod", "-acme", "", "a b", "x" * 101, "ümlaut"])
def test_an_id_that_is_not_a_stack_name_is_rejected(bad_id: str) -> None:
    assert "field id" in error_of({"tenants": [tenant(id=bad_id)]})


@pytest.mark.parametrize("good_id", ["acme", "Acme_2", "acme.prod-eu", "7eleven"])
def test_stack_names_pulumi_accepts(good_id: str) -> None:
    assert parse_tenants({"tenants": [tenant(id=good_id)]}).tenants[0].id == good_id


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"region": None}, "cloud aws needs 'region'"),
        ({"project": "p"}, "'project' is for cloud gcp"),
        ({"cloud": "gcp"}, "cloud gcp needs 'project' and 'region'"),
        ({"cloud": "azure"}, "field cloud"),
        ({"config": {"layerZip": "/tmp/x.zip"}}, "field config.layerZip"),
        ({"config": {"agentType": "other"}}, "field config.agentType"),
        ({"secrets": {"AWS_SECRET": "env:X"}}, "field secrets.AWS_SECRET"),
        ({"colour": "blue"}, "field colour"),
    ],
)
def test_field_mistakes_name_the_tenant_and_field(fields: dict[str, object], expected: str) -> None:
    assert expected in error_of({"tenants": [tenant(**fields)]})


def test_top_level_mistakes() -> None:
    assert "field tenants" in error_of({"tenants": []})
    assert "field version" in error_of({"version": 2, "tenants": [tenant()]})
    assert "(top level)" in error_of(["not", "a", "mapping"])


def test_missing_required_secrets_are_found_before_anything_runs() -> None:
    parsed = parse_tenants(
        {"tenants": [tenant(secrets={"GENERIC_API_KEY": "env:A"}, config={"memoryBackend": "mem0"})]}
    )
    with pytest.raises(TenantsFileError) as caught:
        plan_stacks(parsed, parsed.tenants)
    assert "tenant 'acme'" in str(caught.value)
    assert "ADMIN_API_KEY" in str(caught.value) and "MEM0_API_KEY" in str(caught.value)


def test_invalid_config_values_are_found_before_anything_runs() -> None:
    parsed = parse_tenants({"tenants": [tenant(config={"logRetentionDays": 13})]})
    with pytest.raises(TenantsFileError, match="logRetentionDays"):
        plan_stacks(parsed, parsed.tenants)


def test_only_selects_and_rejects_unknown_ids() -> None:
    parsed: TenantsFile = parse_tenants({"tenants": [tenant(id="a"), tenant(id="b"), tenant(id="c")]})
    assert [t.id for t in parsed.select(["c", "a", "c"])] == ["c", "a"]
    assert [t.id for t in parsed.select()] == ["a", "b", "c"]
    with pytest.raises(TenantsFileError, match="--only: no tenant 'z'"):
        parsed.select(["z"])


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(TenantsFileError, match="cannot read"):
        load_tenants(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("tenants:\n  - id: [unclosed\n")
    with pytest.raises(TenantsFileError, match=r"not valid YAML \(line"):
        load_tenants(bad)


def test_json_is_accepted_too(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"tenants": [tenant()]}))
    assert load_tenants(path).tenants[0].id == "acme"


def test_aws_only_defaults_reach_the_aws_tenants_only() -> None:
    """The file's defaults serve both clouds; a gcp tenant's own AWS-only key is still refused by name."""
    gcp = tenant(id="gcp-one", cloud="gcp", project="am-test-project", region="europe-west1")
    parsed = parse_tenants(
        {"defaults": {"config": {"secretRecoveryWindowDays": 0, "logRetentionDays": 14}}, "tenants": [tenant(), gcp]}
    )
    aws_stack, gcp_stack = plan_stacks(parsed, parsed.tenants)
    assert aws_stack.plain["agentic-memory:secretRecoveryWindowDays"] == "0"
    assert "agentic-memory:secretRecoveryWindowDays" not in gcp_stack.plain
    assert gcp_stack.plain["agentic-memory:logRetentionDays"] == "14"

    own = parse_tenants({"tenants": [{**gcp, "config": {"httpEndpoint": "url"}}]})
    with pytest.raises(TenantsFileError, match="httpEndpoint only apply on aws"):
        plan_stacks(own, own.tenants)
