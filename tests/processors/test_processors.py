"""Processors found by entry point and enabled per agent type: pre-call under a time budget (a slow or failing
one is skipped, logged, and the call answered in time); a failing post-call processor fails the event, which is
retried, dead-lettered and replayable; unknown names are configuration errors."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from typer.testing import CliRunner

from functions.cli import app
from shared.errors import ConfigError
from shared.processors.runner import MAX_LATE
from tests.conftest import TEST_SECRETS, elevenlabs_post_call, load_payload, sign_elevenlabs
from tests.experiments.helpers import local_runtime, write_config

AGENT = "elevenlabs_customer_support"
CALLER = "+15555550123"
WORKSPACE = {"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}


def pre_call(local: Any) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    answer = local.call(
        "POST", "/client-data", {**load_payload("elevenlabs_client_data_request"), "caller_id": CALLER}, WORKSPACE
    )
    elapsed = time.perf_counter() - started
    assert answer.status == 200, answer.body
    return json.loads(answer.body)["dynamic_variables"], elapsed


def post_call(local: Any, conversation: str = "conv-processors") -> str:
    body = json.dumps(elevenlabs_post_call(caller=CALLER, conversation_id=conversation)).encode()
    answer = local.call("POST", "/post-call", body, {"ElevenLabs-Signature": sign_elevenlabs(body)})
    assert answer.status == 200 and json.loads(answer.body) == {"status": "queued"}
    return f"post_call_transcription:{conversation}"


def memories(local: Any) -> list[Any]:
    return local.runtime.store.get_all(CALLER, AGENT, now=local.runtime.clock())


def test_a_slow_pre_call_processor_is_skipped_and_the_call_answered_in_time(
    sample: ModuleType, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    processors = {"pre_call": ["note", "slow"], "pre_call_budget_ms": 100}
    local = local_runtime(write_config(tmp_path, processors=processors), tmp_path / "data")
    with caplog.at_level(logging.WARNING, logger="agentic_memory.processors"):
        variables, elapsed = pre_call(local)
    assert elapsed < sample.STATE["slow_seconds"] / 4  # the answer did not wait for the slow processor
    assert variables["note"] == "0 memories seen" and variables["slow"] == ""  # declared: sent, empty
    assert "pre-call processor slow skipped: slower than the budget" in caplog.text


def test_a_failing_pre_call_processor_is_skipped_and_logged_without_data(
    sample: ModuleType, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    local = local_runtime(write_config(tmp_path, processors={"pre_call": ["failing", "note"]}), tmp_path / "data")
    with caplog.at_level(logging.WARNING):
        variables, _ = pre_call(local)
    assert variables["note"] == "0 memories seen" and variables["returning_caller"] == "no"
    assert "pre-call processor failing skipped: it failed (RuntimeError)" in caplog.text
    assert "5555550123" not in caplog.text.replace("+1555***0123", "")


def test_every_pre_call_processor_slow_still_answers_in_time(sample: ModuleType, tmp_path: Path) -> None:
    sample.STATE["slow_seconds"] = 1.0
    processors = {"pre_call": ["slow", "slow", "slow"], "pre_call_budget_ms": 50}
    local = local_runtime(write_config(tmp_path, processors=processors), tmp_path / "data")
    for _ in range(3):
        variables, elapsed = pre_call(local)
        assert elapsed < sample.STATE["slow_seconds"] / 2 and variables["slow"] == ""


def test_a_skipped_pre_call_processor_changes_nothing_in_the_answer(sample: ModuleType, tmp_path: Path) -> None:
    """It worked on a copy: what it wrote before failing, or after its budget ran out, is not sent."""
    sample.STATE["slow_seconds"] = 0.0
    local = local_runtime(write_config(tmp_path, processors={"pre_call": ["meddler", "note"]}), tmp_path / "data")
    variables, _ = pre_call(local)
    assert "meddled" not in variables and variables["note"] == "0 memories seen"
    sample.STATE["slow_seconds"] = 0.6
    processors = {"pre_call": ["meddler", "note"], "pre_call_budget_ms": 50}
    local = local_runtime(write_config(tmp_path, processors=processors), tmp_path / "data2")
    answers = [pre_call(local)[0] for _ in range(3)]
    time.sleep(0.8)  # the late ones finish writing while later answers go out
    answers += [pre_call(local)[0] for _ in range(2)]
    assert not [a for a in answers if "meddled" in a or "late" in a]


def test_a_pre_call_processor_returning_variables_that_are_not_text_is_skipped(
    sample: ModuleType, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    local = local_runtime(write_config(tmp_path, processors={"pre_call": ["garbage", "note"]}), tmp_path / "data")
    with caplog.at_level(logging.WARNING, logger="agentic_memory.processors"):
        variables, _ = pre_call(local)  # asserts 200
    assert "count" not in variables and "object" not in variables and variables["note"] == "0 memories seen"
    assert "pre-call processor garbage skipped: it returned a variable that is not text" in caplog.text


def test_one_hung_pre_call_processor_does_not_turn_off_the_others(sample: ModuleType, tmp_path: Path) -> None:
    sample.STATE["slow_seconds"] = 5.0
    processors = {"pre_call": ["slow", "note"], "pre_call_budget_ms": 30}
    local = local_runtime(write_config(tmp_path, processors=processors), tmp_path / "data")
    answers = [pre_call(local)[0] for _ in range(MAX_LATE + 3)]
    assert all(variables["slow"] == "" for variables in answers)
    # until its late threads reach the limit, the hung one spends the budget; then it alone is skipped at once
    assert all(variables.get("note") == "0 memories seen" for variables in answers[MAX_LATE:])


def test_a_hung_post_call_processor_fails_its_event_instead_of_holding_the_worker(
    sample: ModuleType, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = write_config(tmp_path, processors={"post_call": ["hung"], "post_call_timeout_s": 1})
    local = local_runtime(config, tmp_path / "data")
    key = post_call(local)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            local.drain()
    assert time.monotonic() - started < sample.STATE["hang_seconds"] / 3  # three timeouts of 1 s, not 30 s each
    assert local.queue.keys("dead") == [key] and memories(local) == []
    assert "post-call processor hung failed (TimeoutError)" in caplog.text


def test_a_failing_post_call_processor_is_retried_dead_lettered_and_replayable(
    sample: ModuleType, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = write_config(tmp_path, processors={"post_call": ["flaky"]})
    local = local_runtime(config, tmp_path / "data")
    key = post_call(local)
    with caplog.at_level(logging.WARNING):
        for _ in range(3):  # max_attempts=3, no back-off in tests
            local.drain()
    assert sample.STATE["post_calls"] == 3
    assert local.queue.keys("dead") == [key]
    assert memories(local) == []  # nothing half-stored
    assert "post-call processor flaky failed (RuntimeError)" in caplog.text
    assert local.runtime.archive.get(key).body  # the event is kept for replay

    sample.STATE["fail_post_call"] = False  # the plugin is fixed and redeployed
    local.runtime.store.close()
    local.queue.close()
    options = ["-a", AGENT, "--config", str(config), "--data-dir", str(tmp_path / "data")]
    replayed = CliRunner().invoke(app, ["replay", "--dead", *options], env={"AGENTIC_MEMORY_DATA_DIR": ""})
    assert replayed.exit_code == 0, replayed.output
    assert "re-enqueued 1 archived events" in replayed.output and "1 done, 0 dead" in replayed.output
    again = local_runtime(config, tmp_path / "data")
    assert {m.metadata.get("source") for m in memories(again)} >= {"summary", "caller_turn"}


def test_post_call_processors_add_and_drop_memories_idempotently(sample: ModuleType, tmp_path: Path) -> None:
    local = local_runtime(write_config(tmp_path, processors={"post_call": ["tagger"]}), tmp_path / "data")
    post_call(local)
    local.drain()
    stored = memories(local)
    assert not any(m.metadata.get("source") == "caller_turn" for m in stored)
    [note] = [m for m in stored if m.metadata.get("processor") == "tagger"]
    assert (note.text, note.type, note.metadata["kind"], note.conversation_id) == (
        "Tagged by the sample processor",
        "factual",
        "note",
        "conv-processors",
    )
    assert note.expires_at is not None
    assert local.runtime.worker.process("post_call_transcription:conv-processors") == 0  # a replay adds nothing


def test_a_processor_may_not_write_to_another_caller(sample: ModuleType, tmp_path: Path) -> None:
    local = local_runtime(write_config(tmp_path, processors={"post_call": ["stranger"]}), tmp_path / "data")
    key = post_call(local)
    for _ in range(3):
        local.drain()
    assert local.queue.keys("dead") == [key]
    assert local.runtime.store.get_all("+15555550199", AGENT, now=local.runtime.clock()) == []


def test_an_unknown_processor_is_named_by_config_validate_and_refused_at_start(
    sample: ModuleType, tmp_path: Path
) -> None:
    config = write_config(tmp_path, processors={"post_call": ["tagger", "redact_everything"]})
    result = CliRunner().invoke(app, ["config", "validate", str(config)], env={"COLUMNS": "300"})
    assert result.exit_code == 1
    assert (
        "unknown processor 'redact_everything'" in result.output and "agent type 'vapi_receptionist'" in result.output
    )
    assert "installed: failing, flaky, garbage, hung, meddler, note, slow, stranger, tagger" in result.output
    with pytest.raises(ConfigError, match="unknown processor 'redact_everything'"):
        local_runtime(config, tmp_path / "data")
    fine = write_config(tmp_path, processors={"post_call": ["tagger"], "pre_call": ["note"]})
    result = CliRunner().invoke(app, ["config", "validate", str(fine)], env={"COLUMNS": "300"})
    assert result.exit_code == 0 and "note, tagger" in result.output


def test_a_processor_named_only_in_a_variant_is_checked_and_used_by_that_variant(
    sample: ModuleType, tmp_path: Path
) -> None:
    spec = {
        "variants": {
            "plain": {"weight": 1},
            "noted": {"weight": 1, "overrides": {"processors": {"pre_call": ["note"]}}},
        }
    }
    local = local_runtime(write_config(tmp_path, experiments={"notes": spec}), tmp_path / "data")
    for n in range(40):
        caller = f"+1555555{n:04d}"
        request = {**load_payload("elevenlabs_client_data_request"), "caller_id": caller}
        variables = json.loads(local.call("POST", "/client-data", request, WORKSPACE).body)["dynamic_variables"]
        assert ("note" in variables) == (variables["memory_variant"] == "notes:noted")
    bad = {"variants": {"a": {"weight": 1}, "b": {"weight": 1, "overrides": {"processors": {"pre_call": ["nope"]}}}}}
    with pytest.raises(ConfigError, match="unknown processor 'nope'"):
        local_runtime(write_config(tmp_path, experiments={"notes": bad}), tmp_path / "data2")
