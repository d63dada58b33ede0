"""A pre-call is answered within its deadline whatever a remote store does: a read that hangs (a stalled socket, a
throttled table, a caller with thousands of memories to rank) gives a degraded new caller's answer in time, not a
late one. The embedded store's read of a local file is made inline: a thread hand-off would cost more than it."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.config.loader import DEFAULT_CONFIG_PATH
from shared.deadline import within
from shared.errors import StoreUnavailable
from shared.memory.models import Memory
from shared.profile import load_profile
from tests.conftest import CALLER, TEST_SECRETS

WORKSPACE = {"x-workspace-key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}
AGENT = "elevenlabs_customer_support"
HANG_SECONDS = 30.0  # far past any deadline here: an answer before it was not waited for


def _config(directory: Path, deadline_ms: int | None) -> Path:
    config = json.loads(DEFAULT_CONFIG_PATH.read_text())
    config["agent_types"][AGENT].setdefault("response", {})["deadline_ms"] = deadline_ms
    path = directory / "deadline.json"
    path.write_text(json.dumps(config))
    return path


@pytest.fixture
def released() -> Any:
    """Set at the end of the test, so the hung read in the background finishes instead of holding a thread."""
    event = threading.Event()
    yield event
    event.set()


def test_a_store_that_hangs_is_answered_as_a_new_caller_within_the_deadline(
    local_runtime: Any, tmp_path: Path, released: threading.Event, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    local = local_runtime(config_path=_config(tmp_path, 200))

    def hangs(*args: Any, **kwargs: Any) -> Any:
        released.wait(HANG_SECONDS)
        raise AssertionError("read after the test ended")

    monkeypatch.setattr(local.runtime.store, "get_all", hangs)
    monkeypatch.setattr(local.runtime.store, "reads_over_network", True)  # as DynamoDB, Firestore or Mem0
    started = time.monotonic()
    pre = local.call("POST", "/client-data", {"caller_id": CALLER}, WORKSPACE)
    waited = time.monotonic() - started
    assert pre.status == 200 and waited < HANG_SECONDS / 2
    variables = json.loads(pre.body)["dynamic_variables"]
    assert variables["returning_caller"] == "no" and variables["memory_status"] == "degraded"
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("no answer within 0.2 s" in line and CALLER not in line for line in warnings)


def test_a_store_that_answers_in_time_is_used(local_runtime: Any, tmp_path: Path, monkeypatch: Any) -> None:
    local = local_runtime(config_path=_config(tmp_path, 5000))
    read = local.runtime.store.get_all

    def slow(*args: Any, **kwargs: Any) -> Any:  # slower than nothing, well inside the deadline
        time.sleep(0.05)
        return read(*args, **kwargs)

    now = datetime.now(UTC)
    local.runtime.store.add(
        [Memory("m1", CALLER, AGENT, "factual", "Asked about a refund.", now - timedelta(days=1),
                now + timedelta(days=30), metadata={"source": "summary"})]
    )  # fmt: skip
    monkeypatch.setattr(local.runtime.store, "get_all", slow)
    monkeypatch.setattr(local.runtime.store, "reads_over_network", True)
    pre = local.call("POST", "/client-data", {"caller_id": CALLER}, WORKSPACE)
    variables = json.loads(pre.body)["dynamic_variables"]
    assert variables["memory_status"] == "ok" and variables["returning_caller"] == "yes"


@pytest.mark.parametrize(
    ("agent_type", "deadline_ms"),
    [("elevenlabs_customer_support", 1000), ("vapi_receptionist", 5000), ("retell_appointments", 8000),
     ("generic_voice_agent", 3000)],
)  # fmt: skip
def test_each_platform_has_a_deadline_under_what_it_waits(agent_type: str, deadline_ms: int) -> None:
    assert load_profile(agent_type).pre_call_deadline_ms == deadline_ms


def test_an_agent_types_deadline_replaces_the_platforms(local_runtime: Any, tmp_path: Path) -> None:
    service = local_runtime(config_path=_config(tmp_path, 700)).runtime.service
    assert service.pre_call_deadline(service.profile.config) == 0.7


@pytest.mark.parametrize("deadline", [0, 99, 30_001, "1000", 1.5])
def test_a_deadline_outside_what_a_call_can_wait_is_refused(tmp_path: Path, deadline: Any) -> None:
    from shared.config.loader import load_agent_type
    from shared.errors import ConfigError

    with pytest.raises(ConfigError, match="deadline_ms"):
        load_agent_type(AGENT, _config(tmp_path, deadline))


def test_within_gives_the_result_the_error_or_no_answer_in_time(released: threading.Event) -> None:
    assert within(1.0, lambda: 42) == 42
    with pytest.raises(KeyError):
        within(1.0, lambda: {}["missing"])
    with pytest.raises(StoreUnavailable, match=r"no answer within 0\.05 s"):
        within(0.05, lambda: released.wait(HANG_SECONDS))
    assert within(1.0, lambda: "next") == "next"  # a late one holds its own thread, not the next caller's


def test_the_embedded_store_is_read_in_the_callers_own_thread(local_runtime: Any, monkeypatch: Any) -> None:
    local = local_runtime()
    read, threads = local.runtime.store.get_all, []

    def noted(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread())
        return read(*args, **kwargs)

    monkeypatch.setattr(local.runtime.store, "get_all", noted)
    assert local.call("POST", "/client-data", {"caller_id": CALLER}, WORKSPACE).status == 200
    assert threads == [threading.current_thread()]
