"""A field mapping must name a field its hook reads: a misspelt one ("caler_id") was accepted and mapped nothing, so
the hook kept reading the default path and every caller of the custom payload was unknown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.config.loader import load_agent_types
from shared.config.models import MAPPED_FIELDS
from shared.errors import ConfigError
from shared.providers import provider_class


def write(tmp_path: Path, mappings: dict[str, Any]) -> Path:
    agent = {"provider": "generic", "field_mappings": mappings}
    path = tmp_path / "agent_types.json"
    path.write_text(json.dumps({"version": 1, "agent_types": {"ivr": agent}}))
    return path


@pytest.mark.parametrize(
    ("mappings", "fragment"),
    [
        ({"client_data": {"caler_id": ["from"]}}, "client_data: 'caler_id' is not a field this hook reads"),
        ({"retrieve": {"question": ["q"]}}, "retrieve: 'question' is not a field"),
        ({"post_call": {"summary": ["s"], "transcripts": ["t"]}}, "post_call: 'transcripts' is not a field"),
    ],
)
def test_a_field_no_hook_reads_is_refused(tmp_path: Path, mappings: dict[str, Any], fragment: str) -> None:
    path = write(tmp_path, mappings)
    with pytest.raises(ConfigError) as caught:
        load_agent_types(path)
    message = str(caught.value)
    assert str(path) in message and "'ivr'" in message and "field_mappings" in message and fragment in message


def test_every_field_a_provider_maps_by_default_can_be_configured() -> None:
    for name in ("elevenlabs", "vapi", "retell", "generic"):
        for hook, paths in provider_class(name).defaults().field_mappings.items():
            assert set(paths) <= MAPPED_FIELDS[hook], (name, hook)


def test_known_fields_pass(tmp_path: Path) -> None:
    mappings = {"client_data": {"caller_id": ["from.number"]}, "post_call": {"transcript": ["turns"]}}
    agent = load_agent_types(write(tmp_path, mappings)).agent_types["ivr"]
    assert agent.field_mappings.client_data == {"caller_id": ["from.number"]}
