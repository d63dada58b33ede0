"""A caller of many calls: what the first call said (a name, a policy number) stays in the pre-call answer, and the
calls are all counted, past the newest memories the answer reads in full (``CONTEXT_WINDOW``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.memory.from_call import memories_from_call
from shared.memory.manager import CONTEXT_WINDOW
from shared.providers.base import PostCallEvent
from tests.conftest import CALLER, TEST_SECRETS, load_payload

CALLS = 76
TURNS = 7  # a summary and six turns a call: 532 memories, past the window of 500


def seed(local: Any) -> None:
    manager = local.runtime.service.manager
    start = datetime.now(UTC) - timedelta(days=CALLS + 1)
    for n in range(CALLS):
        fields = {"caller_name": "Priya Patel", "policy_number": "PN-778812"} if n == 0 else {}
        event = PostCallEvent(
            f"post_call_transcription:conv_{n}", "post_call_transcription", True, caller=CALLER,
            conversation_id=f"conv_{n}", occurred_at=start + timedelta(days=n),
            summary=f"Call {n}: a question about the order placed on day {n}.", fields=fields,
            caller_turns=[f"Turn {t} of call {n} about the order." for t in range(TURNS - 1)],
        )  # fmt: skip
        manager.add(memories_from_call(event, CALLER, manager, received_at=event.occurred_at))


def test_the_first_calls_name_and_policy_stay_after_many_calls(local_runtime: Any) -> None:
    local = local_runtime()
    seed(local)
    assert len(local.runtime.service.manager.recent(CALLER)) == CONTEXT_WINDOW  # the window is full
    request = {**load_payload("elevenlabs_client_data_request"), "caller_id": CALLER}
    workspace = {"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}
    answer = local.call("POST", "/client-data", request, workspace)
    variables = json.loads(answer.body)["dynamic_variables"]
    assert variables["caller_name"] == "Priya Patel" and variables["call_count"] == str(CALLS)
    assert "PN-778812" in variables["memory_context"]


def test_a_huge_question_is_searched_by_its_beginning_only(local_runtime: Any, monkeypatch: Any) -> None:
    """A tool call's "query" of 0.8 MB (under the body limit) held the server for seconds: only its beginning,
    longer than any real question, is ranked."""
    from shared.memory import manager as manager_module
    from shared.memory.manager import MAX_QUERY_CHARS

    local = local_runtime()
    seed(local)
    ranked: list[str] = []
    real_rank = manager_module.rank

    def spy(query: str, *args: Any, **kwargs: Any) -> Any:
        ranked.append(query)
        return real_rank(query, *args, **kwargs)

    monkeypatch.setattr(manager_module, "rank", spy)
    huge = "what was the order placed on day 3 " + "and also something else entirely " * 25_000
    assert local.runtime.service.manager.search(CALLER, huge)
    assert ranked and len(ranked[0]) <= MAX_QUERY_CHARS and ranked[0].startswith("what was the order placed")
