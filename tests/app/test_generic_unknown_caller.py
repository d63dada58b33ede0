"""The generic provider treats a caller without an id like the platforms do: a complete new-caller answer, a
"no memories" tool result, and a post-call that is archived and remembered under no id."""

from __future__ import annotations

import json
from typing import Any

from shared.providers.base import NO_MEMORIES_UNKNOWN_CALLER
from tests.conftest import TEST_SECRETS

KEY = {"X-API-Key": TEST_SECRETS["GENERIC_API_KEY"]}
AGENT = "generic_voice_agent"


def test_generic_caller_without_an_id(local_runtime: Any) -> None:
    local = local_runtime(AGENT)
    known = json.loads(local.call("POST", "/client-data", {"user_id": "+15555550123"}, KEY).body)
    for body in ({}, {"user_id": "anonymous"}, {"phone_number": ""}):
        response = local.call("POST", "/client-data", body, KEY)
        assert response.status == 200
        answer = json.loads(response.body)
        assert set(answer) == set(known) and set(answer["variables"]) == set(known["variables"])
        assert (answer["user_id"], answer["returning_caller"], answer["variables"]["caller_known"]) == ("", False, "no")
    tool = local.call("POST", "/retrieve", {"query": "the dog"}, KEY)
    assert tool.status == 200 and json.loads(tool.body)["result"] == NO_MEMORIES_UNKNOWN_CALLER
    event = {"conversation_id": "conv_anon_1", "summary": "Robin asked about the parrot.",
             "transcript": [{"role": "user", "message": "My parrot Kiwi needs a quiet room."}]}  # fmt: skip
    ack = local.call("POST", "/post-call", event, KEY)
    assert ack.status == 200 and json.loads(ack.body)["status"] == "archived"
    local.drain()
    assert local.runtime.store.count() == 0
    assert len(list(local.runtime.archive.entries())) == 1  # kept for replay, under no caller
