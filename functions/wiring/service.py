"""What the memory service will accept from a platform, read from the agent type it runs: the wiring sets exactly that.

A platform wired to a service of another platform's agent type, or to hooks the agent type does not serve, has every
call refused (401, 404) while ``connect`` says "wired"; so a mismatch is a ``WiringError`` before any platform call.
"""

from __future__ import annotations

from functions.wiring.api import WiringError
from shared.config.models import ENDPOINTS
from shared.profile import AgentProfile


def check_agent_type(profile: AgentProfile, platform: str) -> None:
    """Raises ``WiringError`` when the agent type is another platform's or does not serve one of the three hooks."""
    name = f"agent type {profile.name!r}"
    if profile.config.provider != platform:
        raise WiringError(
            f"{name} is a {profile.config.provider} agent type: its service refuses every {platform} request; "
            f"pass --agent-type with the {platform} agent type the service runs"
        )
    disabled = [endpoint for endpoint in ENDPOINTS if not profile.enabled(endpoint)]
    if disabled:
        raise WiringError(
            f"{name} does not serve {', '.join(disabled)} (its webhooks): connect wires all three hooks and each of "
            "those would be refused with a 404; enable them in the agent type, or wire the platform by hand"
        )


__all__ = ["check_agent_type"]
