"""What the platform hooks answer, in the platform's own format: one function per hook, used by the platform routes
(``shared.app``) and by the console's previews (``shared.admin_caller``), so a preview is the very answer a call
gets. Neither writes anything: what a real call must record belongs in the route, not here.
"""

from __future__ import annotations

from typing import Any

from shared.profile import AgentProfile
from shared.providers.base import CallerContext, PreCallRequest, ToolAnswer, ToolRequest
from shared.service import MemoryService


def pre_call_answer(
    profile: AgentProfile, service: MemoryService, request: PreCallRequest
) -> tuple[CallerContext, dict[str, Any]]:
    context = service.pre_call(request)
    return context, profile.provider.format_pre_call(context, agent=service.settings_for(context))


def tool_answer(
    profile: AgentProfile, service: MemoryService, request: ToolRequest
) -> tuple[list[ToolAnswer], dict[str, Any]]:
    answers = service.search(request)
    return answers, profile.provider.format_tool(answers)
