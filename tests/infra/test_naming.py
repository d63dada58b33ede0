"""Globally unique names (S3 and Cloud Storage buckets) are valid whatever the account or project is called: a
domain-scoped GCP project (``example.com:my-proj``) gives no ``:`` or ``.`` in a bucket name."""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pytest

from infra.bundle import Bundle
from infra.naming import StackNames
from infra.program import run_program
from infra.stack_config import build_stack_config
from tests.infra.conftest import GCP_PROJECT, RecordingMocks, after_all, stack_values

# Cloud Storage (and S3) without dots, which a bucket may only hold for a verified domain.
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$")
DOMAIN_SCOPED = "example.com:my-proj"


@pytest.mark.parametrize("scope", [DOMAIN_SCOPED, "Example.COM:My_Proj", "a.very-long-company-domain.example:prod-42"])
def test_a_scope_bucket_names_refuse_becomes_a_valid_distinct_name(scope: str) -> None:
    names = StackNames("tenant-a-but-a-very-long-stack-name")
    for role in ("archive", "src"):
        name = names.global_name(role, scope)
        assert BUCKET_NAME.match(name), name
        assert name.startswith(f"{names.base}-{role}-")
    assert names.global_name("archive", DOMAIN_SCOPED).startswith(f"{names.base}-archive-example-com-my-proj-")
    assert StackNames("dev").global_name("src", scope) != StackNames("dev").global_name("src", "example-com-my-proj")


@pytest.mark.parametrize("scope", [GCP_PROJECT, "123456789012", "my-proj-2"])
def test_an_account_id_or_plain_project_keeps_its_name(scope: str) -> None:
    """A bucket renamed is a bucket replaced: the names of existing stacks never change."""
    assert StackNames("dev").global_name("archive", scope) == f"am-dev-archive-{scope}"


@pulumi.runtime.test
def test_gcp_buckets_of_a_domain_scoped_project_are_valid(mocks: RecordingMocks, bundle: Bundle) -> pulumi.Output[None]:
    config = build_stack_config(stack_values("generic_voice_agent", "gcp", **{"gcp:project": DOMAIN_SCOPED}))
    outputs = run_program(config, bundle)

    def check(_: dict[str, Any]) -> None:
        buckets = [bucket.inputs["name"] for bucket in mocks.of_type("gcp:storage/bucket:Bucket")]
        assert len(buckets) == 2
        for name in buckets:
            assert BUCKET_NAME.match(name) and "example-com-my-proj" in name, name
        functions = mocks.of_type("gcp:cloudfunctionsv2/function:Function")
        assert functions and all(fn.inputs["project"] == DOMAIN_SCOPED for fn in functions)

    return after_all(outputs).apply(check)


# A valid stack (tenant) name of 100 characters, Pulumi's longest.
LONGEST_STACK = ("Northwind-Dental-Group.Clinic-Reception-Line.Production-Europe-West.Tenant_0042.Primary-" * 2)[:100]


@pulumi.runtime.test
def test_gcp_display_names_and_titles_fit_for_the_longest_stack_name(
    mocks: RecordingMocks, bundle: Bundle
) -> pulumi.Output[None]:
    """A service account's display name and a custom role's title hold 100 characters at most: past that, GCP
    refuses them half-way through ``pulumi up``. A stack name too long to fit is shown by its slug."""
    config = build_stack_config(stack_values("generic_voice_agent", "gcp", stack=LONGEST_STACK))
    outputs = run_program(config, bundle)

    def check(_: dict[str, Any]) -> None:
        accounts = mocks.of_type("gcp:serviceaccount/account:Account")
        roles = mocks.of_type("gcp:projects/iAMCustomRole:IAMCustomRole")
        assert len(accounts) == 4 and len(roles) == 3
        for shown in [account.inputs["displayName"] for account in accounts] + [role.inputs["title"] for role in roles]:
            assert len(shown) <= 100, shown
            assert shown.endswith(f"({StackNames(LONGEST_STACK).slug})"), shown

    return after_all(outputs).apply(check)


def test_a_stack_name_that_fits_is_shown_as_it_is() -> None:
    assert StackNames("support-prod").title("agentic-memory http") == "agentic-memory http (support-prod)"
    assert StackNames("Support.Prod_EU").title("agentic-memory http") == "agentic-memory http (Support.Prod_EU)"
