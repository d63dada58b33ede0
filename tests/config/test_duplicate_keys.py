"""A name given twice in agent_types.json is refused: JSON keeps the last, so a second agent type of the same name
silently replaced the first one (its provider and secrets with it), and a key repeated inside one was half-read."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.config.loader import load_agent_types
from shared.errors import ConfigError

TWO_OF_ONE_NAME = """{"version": 1, "agent_types": {
  "front_desk": {"provider": "retell"},
  "front_desk": {"provider": "vapi", "response": {"assistant_id": "5f0c8a52-1111-4222-8333-444455556666"}}
}}"""
KEY_TWICE = """{"version": 1, "agent_types": {
  "front_desk": {"provider": "generic",
                 "memory": {"retention_days": {"default": 30}, "retention_days": {"default": 3650}}}
}}"""


@pytest.mark.parametrize(("text", "key"), [(TWO_OF_ONE_NAME, "front_desk"), (KEY_TWICE, "retention_days")])
def test_a_name_given_twice_is_refused(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "agent_types.json"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_agent_types(path)
    message = str(caught.value)
    assert str(path) in message and f"{key!r} is given twice" in message


def test_the_same_name_in_two_objects_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "agent_types.json"
    path.write_text(
        '{"version": 1, "agent_types": {"a": {"provider": "generic", "memory": {"search_limit": 4}},'
        ' "b": {"provider": "generic", "memory": {"search_limit": 5}}}}'
    )
    assert [t.memory.search_limit for t in load_agent_types(path).agent_types.values()] == [4, 5]
