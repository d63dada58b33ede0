"""Greeting templates are checked when the file loads: a template the pre-call could not fill is a config error
naming the file, the agent type and the template, never a 500 or a blank name at a caller's first call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.config.loader import load_agent_types
from shared.context import greeting
from shared.errors import ConfigError


def agent_types(first_message: dict[str, str], **extra: Any) -> dict[str, Any]:
    agent = {
        "provider": "generic",
        "memory": {"auto_extract": {"insurer": {"kind": "text", "fields": ["insurance_provider"]}}},
        "response": {"first_message": first_message},
        **extra,
    }
    return {"version": 1, "agent_types": {"clinic_line": agent}}


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "agent_types.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("template", "fragment"),
    [
        ("Hi {caller_firstname}, welcome back!", "{caller_firstname} is not a variable"),  # blank name before
        ("Hi {caller_first_name!", "not a valid template"),  # ValueError at every pre-call: 500
        ("Hi {0}", "must be a variable name"),  # IndexError/ValueError: 500
        ("Hi {caller_name[0]}", "must be a variable name"),
        ("Hi {caller_name.__class__}", "must be a variable name"),  # said "Hi <class 'str'>"
        ("Hi {caller_name:d}", "takes no format"),  # ValueError: 500
    ],
)
def test_a_template_the_pre_call_could_not_fill_is_refused(tmp_path: Path, template: str, fragment: str) -> None:
    path = write(tmp_path, agent_types({"returning": template}))
    with pytest.raises(ConfigError) as caught:
        load_agent_types(path)
    message = str(caught.value)
    assert str(path) in message and "clinic_line" in message
    assert "response.first_message.returning" in message and fragment in message


def test_a_variant_s_template_is_checked_too(tmp_path: Path) -> None:
    variants = {
        "control": {"weight": 1},
        "warm": {"weight": 1, "overrides": {"response": {"first_message": {"new": "Hey {nme}"}}}},
    }
    path = write(tmp_path, agent_types({}, experiments={"greeting": {"variants": variants}}))
    with pytest.raises(ConfigError, match=r"variants\.warm.*\{nme\} is not a variable"):
        load_agent_types(path)


def test_known_variables_and_literal_braces_pass_and_fill(tmp_path: Path) -> None:
    template = "Hi {caller_first_name} ({caller_name}), still with {insurer}? {{ref}}"
    config = load_agent_types(write(tmp_path, agent_types({"returning": template}))).agent_types["clinic_line"]
    fields = {"caller_name": "Dana Whitfield", "insurer": "Northwind Health"}
    assert greeting(config, True, fields) == "Hi Dana (Dana Whitfield), still with Northwind Health? {ref}"
