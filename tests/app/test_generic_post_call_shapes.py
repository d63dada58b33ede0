"""The generic post-call is our own format: a field of the wrong shape is refused with a 422 and nothing is kept,
never accepted with the field silently dropped (a call half-remembered)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import TEST_SECRETS

KEY = {"X-API-Key": TEST_SECRETS["GENERIC_API_KEY"]}
CALL = {"conversation_id": "g1", "user_id": "+15555550123", "summary": "Dana asked about her order."}


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"timestamp": "last tuesday"}, "timestamp"),
        ({"fields": ["caller_name", "Dana"]}, "fields"),
        ({"transcript": "Dana: hi, it's about my order"}, "transcript"),
    ],
)
def test_a_field_of_the_wrong_shape_is_refused_and_nothing_kept(
    local_runtime: Any, extra: dict[str, Any], named: str
) -> None:
    local = local_runtime("generic_voice_agent")
    answer = local.call("POST", "/post-call", json.dumps({**CALL, **extra}).encode(), KEY)
    assert answer.status == 422 and named in json.loads(answer.body)["error"]
    assert not list(local.runtime.archive.entries())


def test_the_documented_shapes_are_accepted(local_runtime: Any) -> None:
    local = local_runtime("generic_voice_agent")
    call = {
        **CALL,
        "timestamp": "2026-11-01T10:00:00Z",
        "fields": {"caller_name": "Dana"},
        "transcript": [{"role": "user", "message": "It's about my order."}],
    }
    assert local.call("POST", "/post-call", json.dumps(call).encode(), KEY).status == 200


@pytest.mark.parametrize(
    "moment", ["2026-11-01T10:00:00Z", "2026-11-01 10:00:00", 1761991200, "1761991200", "1761991200000"]
)
def test_a_time_in_any_usual_spelling_is_accepted(local_runtime: Any, moment: Any) -> None:
    local = local_runtime("generic_voice_agent")
    body = json.dumps({**CALL, "timestamp": moment}).encode()
    assert local.call("POST", "/post-call", body, KEY).status == 200
