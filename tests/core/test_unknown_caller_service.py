"""The service never touches the store for a caller nothing identifies: no read before or during the call, no
write after it (so no shared "anonymous" memory can exist), on every shipped agent type."""

from __future__ import annotations

from typing import Any

import pytest

from shared.context import UNKNOWN_CALLER_CONTEXT
from shared.identity import CallerIdentity
from shared.providers.base import NO_MEMORIES_UNKNOWN_CALLER, PostCallEvent, PreCallRequest, ToolCall, ToolRequest
from shared.service import MemoryService

AGENT_TYPES = ["elevenlabs_customer_support", "elevenlabs_sales_agent", "generic_voice_agent", "vapi_receptionist",
               "retell_appointments"]  # fmt: skip
UNKNOWN = [None, "", "anonymous", "+266696687", "sip:anonymous@anonymous.invalid", "not a caller!"]


class StoreUntouched:
    """A memory manager that fails the test on any use."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the store was used ({name}) for an unidentified caller")


@pytest.fixture(params=AGENT_TYPES)
def service(request: pytest.FixtureRequest, local_runtime: Any) -> MemoryService:
    profile = local_runtime(request.param).runtime.service.profile
    return MemoryService(profile, StoreUntouched(), CallerIdentity())  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", UNKNOWN)
def test_unknown_caller_reads_and_writes_nothing(service: MemoryService, raw: str | None) -> None:
    context = service.pre_call(PreCallRequest(caller=raw, call_id="c1"))
    assert (context.known, context.user_id, context.memory_count, context.returning) == (False, None, 0, False)
    assert context.context == UNKNOWN_CALLER_CONTEXT
    variables = context.variables()
    assert variables["caller_known"] == "no" and variables["caller_id"] == ""
    assert set(service.profile.config.memory.auto_extract) <= set(variables)
    assert all(isinstance(value, str) for value in variables.values())

    calls = [ToolCall(query="the dog", call_id="t1"), ToolCall(query="", call_id="t2")]
    answers = service.search(ToolRequest(caller=raw, calls=calls))
    assert [a.call.call_id for a in answers] == ["t1", "t2"]
    assert all(a.as_text() == NO_MEMORIES_UNKNOWN_CALLER and not a.matches for a in answers)

    event = PostCallEvent(idempotency_key="k", event_type="e", ingest=True, caller=raw, summary="Robin called.")
    assert service.remember(event) == 0
