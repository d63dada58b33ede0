"""A call's outcomes as recorded on its memories: its variant, the memory tool's answers, the pre-call's status.

Nothing is written on the pre-call or tool path for this: the platform's post-call event repeats the variables
the pre-call answer gave (``memory_status``) and the results the memory tool returned, which are recognised by
their shape (``{"memories": [...], "count": n, "result": "..."}``); other tools' results are left out.
"""

from __future__ import annotations

import json
from typing import Any

from shared.providers.base import MEMORY_STATUS, PlatformEcho

VARIANT = "variant"
TOOL_CALLS = "tool_calls"
TOOL_FOUND = "tool_found"
PRE_CALL = "pre_call"
PRE_CALL_STATES = ("ok", "degraded")


def tool_found(result: str) -> bool | None:
    """True/False for one of our tool answers (found something or not); None for any other tool's result."""
    try:
        answer = json.loads(result)
    except (ValueError, RecursionError):
        return None
    if not isinstance(answer, dict) or not isinstance(answer.get("memories"), list):
        return None
    count = answer.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or "result" not in answer:
        return None
    return count > 0


def call_outcomes(echo: PlatformEcho) -> dict[str, Any]:
    """The metadata every memory of the call carries; a figure the event does not show is left out."""
    found = [outcome for outcome in map(tool_found, echo.tool_results) if outcome is not None]
    outcomes: dict[str, Any] = {TOOL_CALLS: len(found), TOOL_FOUND: sum(found)}
    status = echo.variables.get(MEMORY_STATUS)
    if status in PRE_CALL_STATES:
        outcomes[PRE_CALL] = status
    return outcomes
