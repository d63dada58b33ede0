"""A key given twice in one mapping of the tenants file is refused: YAML keeps the last, so a tenant's second
``config:`` silently replaced its first (log retention and all) and validate said the file was valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.tenants.errors import TenantsFileError
from infra.tenants.models import read_tenants

TWICE = """\
version: 1
tenants:
  - id: rapid-rooter
    agent_type: generic_voice_agent
    cloud: aws
    region: us-east-1
    config: {logRetentionDays: 7}
    config: {warmInstances: 1}
"""
MERGED = """\
version: 1
tenants:
  - &base {id: rapid-rooter, agent_type: generic_voice_agent, cloud: aws, region: us-east-1}
  - <<: *base
    id: rapid-rooter-eu
    region: eu-west-1
"""


def test_a_key_given_twice_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "tenants.yaml"
    path.write_text(TWICE)
    with pytest.raises(TenantsFileError) as caught:
        read_tenants(path)
    assert (
        str(caught.value)
        == f"{path}: key 'config' is given twice in one mapping (line 8; YAML would keep only the last)"
    )


def test_a_merge_s_keys_may_still_be_overridden(tmp_path: Path) -> None:
    path = tmp_path / "tenants.yaml"
    path.write_text(MERGED)
    second = read_tenants(path)["tenants"][1]
    assert (second["id"], second["region"], second["cloud"]) == ("rapid-rooter-eu", "eu-west-1", "aws")
