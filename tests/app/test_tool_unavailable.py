"""When the store does not answer during a call, the tool says so: never "nothing matches", which the agent would
take for a fact about the caller."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.errors import StoreUnavailable
from shared.providers.base import MEMORY_UNAVAILABLE, NO_MATCHING_MEMORIES
from tests.conftest import CALLER, TEST_SECRETS

WORKSPACE = {"x-workspace-key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}


def test_a_store_outage_during_a_call_is_not_a_false_no(local_runtime: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    local = local_runtime()
    asked = {"query": "what is the dog called", "caller_id": CALLER}
    before = json.loads(local.call("POST", "/retrieve", asked, WORKSPACE).body)
    assert before["result"] == NO_MATCHING_MEMORIES  # a known caller, nothing stored yet

    def down(*args: Any, **kwargs: Any) -> Any:
        raise StoreUnavailable("memory store read failed")

    monkeypatch.setattr(local.runtime.store, "get_all", down)
    answer = local.call("POST", "/retrieve", asked, WORKSPACE)
    assert answer.status == 200 and json.loads(answer.body)["result"] == MEMORY_UNAVAILABLE
