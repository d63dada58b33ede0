"""A value of the wrong JSON type is refused, not converted: "search_limit": true ran with 1, "5" with 5, and
"semantic_search": "no" was read as a boolean by guesswork."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.config.loader import load_agent_types
from shared.errors import ConfigError


def write(tmp_path: Path, memory: dict[str, Any], **extra: Any) -> Path:
    agent = {"provider": "generic", "memory": memory, **extra}
    path = tmp_path / "agent_types.json"
    path.write_text(json.dumps({"version": 1, "agent_types": {"dispatch": agent}}))
    return path


@pytest.mark.parametrize(
    ("memory", "field"),
    [
        ({"search_limit": True}, "memory.search_limit"),
        ({"search_limit": "5"}, "memory.search_limit"),
        ({"search_limit": 5.0}, "memory.search_limit"),
        ({"semantic_search": "no"}, "memory.semantic_search"),
        ({"store_caller_turns": 0}, "memory.store_caller_turns"),
        ({"ranking": {"min_score": "0.3"}}, "memory.ranking.min_score"),
    ],
)
def test_a_value_of_another_type_is_refused(tmp_path: Path, memory: dict[str, Any], field: str) -> None:
    path = write(tmp_path, memory)
    with pytest.raises(ConfigError) as caught:
        load_agent_types(path)
    message = str(caught.value)
    assert str(path) in message and "'dispatch'" in message and field in message


def test_a_variant_s_override_is_as_strict(tmp_path: Path) -> None:
    variants = {"control": {"weight": 1}, "more": {"weight": 1, "overrides": {"memory": {"search_limit": "7"}}}}
    path = write(tmp_path, {}, experiments={"recall": {"variants": variants}})
    with pytest.raises(ConfigError, match=r"variants\.more\.overrides: field memory\.search_limit"):
        load_agent_types(path)


def test_a_whole_number_is_a_number_of_any_kind(tmp_path: Path) -> None:
    path = write(tmp_path, {"search_limit": 4, "ranking": {"min_score": 0, "recency_half_life_days": 90}})
    memory = load_agent_types(path).agent_types["dispatch"].memory
    assert (memory.search_limit, memory.ranking.min_score, memory.ranking.recency_half_life_days) == (4, 0.0, 90.0)
