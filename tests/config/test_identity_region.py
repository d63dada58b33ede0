"""``identity.default_region`` must be a region phone numbers are known for: 'UK' passed validation, and every
caller giving a national number ('07700 900150') was then refused as 'not a valid phone number'."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.config.loader import load_agent_types
from shared.errors import ConfigError
from shared.identity import CallerIdentity


def write(tmp_path: Path, region: str) -> Path:
    agent = {"provider": "generic", "identity": {"default_region": region}}
    path = tmp_path / "agent_types.json"
    path.write_text(json.dumps({"version": 1, "agent_types": {"leeds_line": agent}}))
    return path


@pytest.mark.parametrize("region", ["UK", "XX", "EU"])
def test_a_region_without_phone_numbers_is_refused(tmp_path: Path, region: str) -> None:
    path = write(tmp_path, region)
    with pytest.raises(ConfigError) as caught:
        load_agent_types(path)
    message = str(caught.value)
    assert str(path) in message and "leeds_line" in message and "identity.default_region" in message
    assert ("'GB'" in message) == (region == "UK")


def test_a_real_region_reads_national_numbers(tmp_path: Path) -> None:
    config = load_agent_types(write(tmp_path, "GB")).agent_types["leeds_line"]
    identity = CallerIdentity(default_region=config.identity.default_region)
    assert identity.identify("07700 900150") == "+447700900150"
