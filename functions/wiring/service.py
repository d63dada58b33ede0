"""What the memory service will accept from a platform, read from the agent type it runs: the wiring sets exactly that.

A platform wired to a service of another platform's agent type, or to hooks the agent type does not serve, has every
call refused (401, 404) while ``connect`` says "wired"; so a mismatch is a ``WiringError`` before any platform call.
"""

from __future__ import annotations

from dataclasses import dataclass

from functions.wiring.api import WiringError
from shared.config.models import ENDPOINTS
from shared.profile import AgentProfile

HEADER_SCHEMES = frozenset({"header", "bearer_or_header"})
# Where the wiring puts one secret header: ElevenLabs' initiation webhook and tool; every Vapi server, since a Vapi
# message is routed by its type whichever route it reaches. Retell signs every request itself.
HEADER_ENDPOINTS: dict[str, tuple[str, ...]] = {
    "elevenlabs": ("client_data", "retrieve"),
    "vapi": ENDPOINTS,
    "retell": (),
}
# The endpoints a platform signs with a key of its own, and the scheme checking it.
SIGNED: dict[str, tuple[tuple[str, ...], str]] = {
    "elevenlabs": (("post_call",), "elevenlabs_hmac"),
    "retell": (ENDPOINTS, "retell_signature"),
}


@dataclass(frozen=True)
class ServiceAuth:
    """The header the platform must send and its secret's name (``None`` where the platform signs instead), and the
    name of the secret its signatures are checked with (``None`` where nothing is signed)."""

    header: str | None
    secret: str | None
    signing_secret: str | None


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


def expected_auth(profile: AgentProfile, platform: str) -> ServiceAuth:
    """The credential the agent type checks on what the wiring configures. Raises ``WiringError`` when it is one the
    wiring cannot set (another scheme, or different headers or secrets on endpoints that share one)."""
    name = f"agent type {profile.name!r}"
    header = secret = signing = None
    endpoints = HEADER_ENDPOINTS[platform]
    if endpoints:
        credentials = {(profile.auth[e].scheme, profile.auth[e].header, profile.auth[e].secret) for e in endpoints}
        scheme, header, secret = next(iter(credentials))
        if len(credentials) != 1 or scheme not in HEADER_SCHEMES:
            raise WiringError(
                f"{name}: connect gives {platform} one secret header for {', '.join(endpoints)}, but the agent type's "
                "auth asks for another scheme, or other headers or secrets among them: every call would be refused "
                "(401); give them one header credential, or wire the platform by hand"
            )
    if platform in SIGNED:
        signed, signature = SIGNED[platform]
        secrets = {profile.auth[e].secret for e in signed}
        if len(secrets) != 1 or any(profile.auth[e].scheme != signature for e in signed):
            raise WiringError(
                f"{name}: {platform} signs {', '.join(signed)} with its own key ({signature}), but the agent type's "
                "auth asks for another scheme or several secrets there: every call would be refused (401)"
            )
        signing = next(iter(secrets))
    return ServiceAuth(header=header, secret=secret, signing_secret=signing)


__all__ = ["ServiceAuth", "check_agent_type", "expected_auth"]
