"""A damaged memory (a row edited by hand or broken on disk, an item another tool wrote) never turns a call into a
500: the embedded store skips the row and answers with the caller's others; whatever a store hands back that no
answer can be made from, the pre-call answers as a new caller and the tool says memory is unavailable."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.memory.models import Memory
from shared.providers.base import MEMORY_UNAVAILABLE
from tests.conftest import CALLER, TEST_SECRETS

WORKSPACE = {"x-workspace-key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}
AGENT = "elevenlabs_customer_support"
DAMAGE = {
    "metadata not JSON": "UPDATE memories SET metadata = '{broken' WHERE id = 'm_old'",
    "metadata not an object": "UPDATE memories SET metadata = '[1, 2]' WHERE id = 'm_old'",
    "metadata null": "UPDATE memories SET metadata = 'null' WHERE id = 'm_old'",
    "created_at text": "UPDATE memories SET created_at = 'yesterday' WHERE id = 'm_old'",
    "created_at far future": "UPDATE memories SET created_at = 1e14 WHERE id = 'm_old'",
    "created_at far past": "UPDATE memories SET created_at = -1e12 WHERE id = 'm_old'",
    "expires_at text": "UPDATE memories SET expires_at = 'never' WHERE id = 'm_old'",
}


def _remember(local: Any) -> None:
    now = datetime.now(UTC)
    local.runtime.store.add(
        [
            Memory("m_old", CALLER, AGENT, "factual", "Asked about a refund.", now - timedelta(days=2),
                   now + timedelta(days=30), metadata={"source": "summary"}),
            Memory("m_new", CALLER, AGENT, "factual", "Moved to 12 Elm Street.", now - timedelta(days=1),
                   now + timedelta(days=30), metadata={"source": "summary"}),
        ]
    )  # fmt: skip


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_row_is_skipped_and_the_caller_still_answered(local_runtime: Any, damage: str) -> None:
    local = local_runtime()
    _remember(local)
    with sqlite3.connect(local.data_dir / "memories.db") as db:
        db.execute(damage)
    pre = local.call("POST", "/client-data", {"caller_id": CALLER}, WORKSPACE)
    assert pre.status == 200
    variables = json.loads(pre.body)["dynamic_variables"]
    assert variables["returning_caller"] == "yes" and variables["memory_count"] == "1"
    tool = local.call("POST", "/retrieve", {"query": "Elm Street", "caller_id": CALLER}, WORKSPACE)
    assert tool.status == 200 and "Elm Street" in json.loads(tool.body)["result"]
    listed = local.call("GET", f"/admin/users/{CALLER}/memories", None, {"x-admin-key": TEST_SECRETS["ADMIN_API_KEY"]})
    assert listed.status == 200 and [m["id"] for m in json.loads(listed.body)["memories"]] == ["m_new"]


def test_memories_no_answer_can_be_made_from_answer_as_a_new_caller(
    local_runtime: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    local = local_runtime()

    def undecodable(*args: Any, **kwargs: Any) -> Any:  # as a cloud item missing a field: from_item's KeyError
        raise KeyError("text")

    monkeypatch.setattr(local.runtime.store, "get_all", undecodable)
    pre = local.call("POST", "/client-data", {"caller_id": CALLER}, WORKSPACE)
    assert pre.status == 200
    variables = json.loads(pre.body)["dynamic_variables"]
    assert variables["returning_caller"] == "no" and variables["memory_status"] == "degraded"
    tool = local.call("POST", "/retrieve", {"query": "Elm Street", "caller_id": CALLER}, WORKSPACE)
    assert tool.status == 200 and json.loads(tool.body)["result"] == MEMORY_UNAVAILABLE
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 2 and all("KeyError" in line and CALLER not in line for line in errors)
