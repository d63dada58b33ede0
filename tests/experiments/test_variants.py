"""Variants change the settings they name for their callers only; the variant reaches the platform on every
provider and is recorded, with the call's outcomes, on the memories a call produces."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.config.loader import load_agent_types
from shared.errors import ConfigError
from shared.providers.base import NO_MATCHING_MEMORIES
from tests.conftest import TEST_SECRETS, elevenlabs_post_call, load_payload, sign_elevenlabs
from tests.experiments.helpers import EXPERIMENT, GREETING_B, local_runtime, write_config
from tests.providers.events import VAPI_HEADERS, retell_call_inbound, retell_signed, vapi_assistant_request

WORKSPACE = {"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}


def callers_in(local: Any, experiment: str) -> dict[str, str]:
    """One invented caller per variant."""
    found: dict[str, str] = {}
    for n in range(200):
        caller = f"+1555555{n:04d}"
        found.setdefault(local.runtime.service.assignment(caller).variants[experiment], caller)
    return found


def post_call(
    local: Any,
    caller: str,
    conversation: str,
    *,
    extra_turns: list[dict[str, Any]] | None = None,
    variables: dict[str, Any] | None = None,
) -> None:
    event = elevenlabs_post_call(caller=caller, conversation_id=conversation, summary=f"Summary of {conversation}.")
    event["data"]["transcript"] += extra_turns or []
    event["data"]["conversation_initiation_client_data"]["dynamic_variables"].update(variables or {})
    body = json.dumps(event).encode()
    answer = local.call("POST", "/post-call", body, {"ElevenLabs-Signature": sign_elevenlabs(body)})
    assert answer.status == 200, answer.body


def pre_call(local: Any, caller: str) -> dict[str, Any]:
    answer = local.call(
        "POST", "/client-data", {**load_payload("elevenlabs_client_data_request"), "caller_id": caller}, WORKSPACE
    )
    assert answer.status == 200
    return json.loads(answer.body)


def test_each_variant_runs_with_its_own_settings(tmp_path: Path) -> None:
    local = local_runtime(write_config(tmp_path, experiments={"recall": EXPERIMENT}), tmp_path / "data")
    by_variant = callers_in(local, "recall")
    for variant, caller in by_variant.items():
        for n in range(3):
            post_call(local, caller, f"conv-{variant}-{n}")
    local.drain()

    control, long = pre_call(local, by_variant["control"]), pre_call(local, by_variant["long"])
    assert control["dynamic_variables"]["memory_variant"] == "recall:control"
    assert long["dynamic_variables"]["memory_variant"] == "recall:long"
    greeting = long["conversation_config_override"]["agent"]["first_message"]
    assert greeting.startswith("Hi Dana") and greeting.endswith(GREETING_B.split("}")[1])  # first or full name
    assert "Dana" in control["conversation_config_override"]["agent"]["first_message"]
    assert (
        control["conversation_config_override"]["agent"]["first_message"]
        != long["conversation_config_override"]["agent"]["first_message"]
    )
    previous = [line for line in long["dynamic_variables"]["memory_context"].splitlines() if line.startswith("- 20")]
    assert len(previous) == 1  # context_limit 1
    assert len([ln for ln in control["dynamic_variables"]["memory_context"].splitlines() if ln.startswith("- 20")]) == 3

    for variant, limit in (("control", 3), ("long", 1)):
        # the same turn from three calls counts once (issue 12): the three distinct summaries fill the limit
        body = {"query": "summary of next week surgery Biscuit", "caller_id": by_variant[variant]}
        found = json.loads(local.call("POST", "/retrieve", body, WORKSPACE).body)
        assert found["count"] == limit


def test_memories_carry_the_variant_and_the_calls_outcomes(tmp_path: Path) -> None:
    local = local_runtime(write_config(tmp_path, experiments={"recall": EXPERIMENT}), tmp_path / "data")
    caller = callers_in(local, "recall")["long"]
    ours_found = json.dumps({"memories": [{"text": "x"}], "count": 1, "result": "- x"})
    ours_empty = json.dumps({"memories": [], "count": 0, "result": NO_MATCHING_MEMORIES})
    turns = [
        {
            "role": "agent",
            "message": None,
            "tool_results": [{"tool_name": "recall_memory", "result_value": ours_found}],
        },
        {
            "role": "agent",
            "message": None,
            "tool_results": [
                {"tool_name": "recall_memory", "result_value": ours_empty},
                {"tool_name": "end_call", "result_value": "ok"},
            ],
        },
    ]
    post_call(local, caller, "conv-outcomes", extra_turns=turns, variables={"memory_status": "degraded"})
    local.drain()
    memories = local.runtime.store.get_all(caller, "elevenlabs_customer_support", now=local.runtime.clock())
    assert memories
    for memory in memories:
        assert memory.metadata["variant"] == "recall:long"
        assert (memory.metadata["tool_calls"], memory.metadata["tool_found"]) == (2, 1)
        assert memory.metadata["pre_call"] == "degraded"


@pytest.mark.parametrize(
    ("agent_type", "request_of", "variables_of"),
    [
        (
            "elevenlabs_customer_support",
            lambda c: (
                json.dumps({**load_payload("elevenlabs_client_data_request"), "caller_id": c}).encode(),
                WORKSPACE,
            ),
            lambda answer: answer["dynamic_variables"],
        ),
        (
            "vapi_receptionist",
            lambda c: (json.dumps(vapi_assistant_request(c)).encode(), VAPI_HEADERS),
            lambda answer: answer["assistantOverrides"]["variableValues"],
        ),
        (
            "retell_appointments",
            lambda c: retell_signed(retell_call_inbound(c)),
            lambda answer: answer["call_inbound"]["dynamic_variables"],
        ),
        (
            "generic_voice_agent",
            lambda c: (json.dumps({"caller_id": c}).encode(), {"X-API-Key": TEST_SECRETS["GENERIC_API_KEY"]}),
            lambda answer: answer["variables"],
        ),
    ],
)
def test_every_platform_gets_memory_variant(
    tmp_path: Path, agent_type: str, request_of: Any, variables_of: Any
) -> None:
    local = local_runtime(write_config(tmp_path, experiments={"recall": EXPERIMENT}), tmp_path / "data", agent_type)
    for variant, caller in callers_in(local, "recall").items():
        body, headers = request_of(caller)
        answer = local.call("POST", "/client-data", body, headers)
        assert answer.status == 200, answer.body
        variables = variables_of(json.loads(answer.body))
        assert (variables["memory_variant"], variables["memory_status"]) == (f"recall:{variant}", "ok")


def test_without_experiments_the_variant_is_empty_and_nothing_is_recorded(tmp_path: Path) -> None:
    local = local_runtime(write_config(tmp_path), tmp_path / "data")
    assert pre_call(local, "+15555550123")["dynamic_variables"]["memory_variant"] == ""
    post_call(local, "+15555550123", "conv-plain")
    local.drain()
    memories = local.runtime.store.get_all("+15555550123", "elevenlabs_customer_support", now=local.runtime.clock())
    assert memories and all("variant" not in m.metadata for m in memories)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"memory": {"context_limit": 500}}, "experiments.recall.variants.long.overrides: field memory.context_limit"),
        ({"memory": {"contxt_limit": 2}}, "field memory.contxt_limit: Extra inputs are not permitted"),
        ({"auth": {}}, "auth cannot vary per caller"),
        ({"memory": {"archive_retention_days": 9}}, "memory.archive_retention_days cannot vary per caller"),
        ({"memory": {"summary_type": "nope"}}, "memory type 'nope' is not in types"),
    ],
)
def test_a_bad_override_is_a_config_error_naming_the_variant_and_field(
    tmp_path: Path, overrides: dict[str, Any], message: str
) -> None:
    spec = {"variants": {"control": {"weight": 1}, "long": {"weight": 1, "overrides": overrides}}}
    with pytest.raises(ConfigError) as error:
        load_agent_types(write_config(tmp_path, experiments={"recall": spec}))
    assert message in str(error.value)
    assert "agent type 'elevenlabs_customer_support'" in str(error.value)


def test_variants_valid_alone_but_not_together_are_refused_by_config_validate_as_at_start(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from functions.cli import app

    document = json.loads(write_config(tmp_path).read_text())
    generic = document["agent_types"]["generic_voice_agent"]
    generic["experiments"] = {
        "fewer_types": {"variants": {"x": {"weight": 1}, "y": {"weight": 1, "overrides": FEWER_TYPES}}},
        "favourites": {"variants": {"x": {"weight": 1}, "y": {"weight": 1, "overrides": FAVOURITES}}},
    }
    path = tmp_path / "combined.json"
    path.write_text(json.dumps({"version": 1, "agent_types": {"generic_voice_agent": generic}}))
    load_agent_types(path)  # each variant alone is valid
    result = CliRunner().invoke(app, ["config", "validate", str(path)], env={"COLUMNS": "300"})
    assert result.exit_code == 1
    message = "variants together are not valid (fewer_types: y, favourites: y)"
    assert message in result.output and "'preference' is not in types" in result.output
    assert "errors.pydantic.dev" not in result.output  # said plainly, not pydantic's dump
    with pytest.raises(ConfigError) as error:
        local_runtime(path, tmp_path / "data", agent_type="generic_voice_agent")
    assert message in str(error.value) and "errors.pydantic.dev" not in str(error.value)


FEWER_TYPES = {"memory": {"types": ["factual", "semantic"]}}
FAVOURITES = {"memory": {"field_types": {"favourite_colour": "preference"}}}


def test_overrides_reach_settings_added_later_without_code(tmp_path: Path) -> None:
    """The patch is generic: any overridable section of the models, here processors and analytics-free response."""
    spec = {
        "variants": {
            "a": {"weight": 1},
            "b": {
                "weight": 1,
                "overrides": {
                    "response": {"static_variables": {"tone": "warm"}},
                    "processors": {"pre_call_budget_ms": 40},
                },
            },
        }
    }
    local = local_runtime(write_config(tmp_path, experiments={"tone": spec}), tmp_path / "data")
    caller = callers_in(local, "tone")["b"]
    assert pre_call(local, caller)["dynamic_variables"]["tone"] == "warm"
    assert local.runtime.service.assignment(caller).config.processors.pre_call_budget_ms == 40


def test_experiments_need_the_stack_key(tmp_path: Path) -> None:
    from shared.ingest.local import FileArchive, SqliteQueue
    from shared.runtime import build_runtime
    from shared.secrets import EnvSecrets
    from shared.settings import Settings

    config = write_config(tmp_path, experiments={"recall": EXPERIMENT})
    settings = Settings.from_environ(
        {}, agent_type="elevenlabs_customer_support", data_dir=tmp_path, config_path=config
    )
    with pytest.raises(ConfigError, match="CALLER_REF_KEY"):
        build_runtime(
            settings,
            secrets=EnvSecrets({name: value for name, value in TEST_SECRETS.items() if name != "CALLER_REF_KEY"}),
            archive=FileArchive(tmp_path / "a"),
            queue=SqliteQueue(tmp_path / "q.db"),
        )
