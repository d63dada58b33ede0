"""``response.format`` other than the provider's own is refused: a generic agent type with "vapi_v1" passed, was
listed by config validate and /admin/config as answering in Vapi's format, and answered in generic_v1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.config.loader import load_agent_types
from shared.errors import ConfigError
from shared.profile import resolve_profile


def resolve(tmp_path: Path, agent: dict[str, Any]) -> Any:
    path = tmp_path / "agent_types.json"
    path.write_text(json.dumps({"version": 1, "agent_types": {"ivr": agent}}))
    return resolve_profile("ivr", load_agent_types(path).agent_types["ivr"], path)


def test_another_platform_s_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"agent type 'ivr': response\.format: 'vapi_v1' is not the format"):
        resolve(tmp_path, {"provider": "generic", "response": {"format": "vapi_v1"}})


@pytest.mark.parametrize("response", [{}, {"format": "generic_v1"}])
def test_the_provider_s_own_format_or_none_pass(tmp_path: Path, response: dict[str, str]) -> None:
    assert resolve(tmp_path, {"provider": "generic", "response": response}).response_format == "generic_v1"
