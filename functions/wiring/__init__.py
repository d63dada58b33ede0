"""Wiring the voice platforms to a deployed (or tunnelled) memory service, through their REST APIs.

One implementation behind two front doors: ``agentic-memory connect`` (functions/cli/connect_cmd.py) and the
Pulumi program's opt-in resources (infra/wiring/). Each platform module turns *where the service is* plus
*which agent or number* into the platform calls, reading the platform's current settings first so a second run
changes nothing and an undo puts back what was there. Not part of the function bundle (infra.bundle excludes it).

Exceptions::

    WiringError                    anything that stops a wiring (message safe to show: no key, no secret)
    └── PlatformError              the platform answered an error; carries its status and its own message
"""

from __future__ import annotations

import contextlib
from types import ModuleType
from typing import Any

from functions.wiring import elevenlabs, retell, vapi
from functions.wiring.api import PlatformApi, PlatformError, WiringError
from functions.wiring.model import Endpoints, Wired

# Platform name -> its module: ``api(key, api_url)``, ``API_URL``, ``wire(client, target, endpoints, state)``,
# ``unwire(client, state)``, ``target_from_props(props)`` (the Pulumi resource's inputs).
PLATFORMS: dict[str, ModuleType] = {"elevenlabs": elevenlabs, "vapi": vapi, "retell": retell}


def apply(
    module: ModuleType, client: PlatformApi, target: Any, endpoints: Endpoints, state: dict[str, Any] | None
) -> Wired:
    """``module.wire``; when a first run fails part-way, what it created is undone before the error goes on, so
    a platform is never left half-wired (a later run keeps its state and finishes or undoes from there)."""
    out = Wired(state={})
    try:
        return module.wire(client, target, endpoints, state, out)  # type: ignore[no-any-return]
    except WiringError:
        if state is None:
            with contextlib.suppress(WiringError):
                module.unwire(client, out.state)
        raise


__all__ = ["PLATFORMS", "Endpoints", "PlatformApi", "PlatformError", "Wired", "WiringError", "apply"]
