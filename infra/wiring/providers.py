"""Pulumi dynamic providers around ``functions.wiring``: create wires, update re-wires from the kept state (only
what differs is sent), delete puts back what was there. The state (ids, earlier settings) and the generated
HMAC key are resource outputs marked secret; the platform key is a secret input, needed again by delete.

Providers are pickled (dill) into the state with their module referenced by name, so they stay in the program's
own package; clients are built inside each call, never captured. ``pulumi.log`` cannot be used in here.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider, UpdateResult

# The inputs that name *which* platform object is wired: a change means unwiring the old one first.
IDENTITY_INPUTS: dict[str, tuple[str, ...]] = {
    "elevenlabs": ("agent_id", "api_url"),
    "vapi": ("phone_number_id", "assistant_id", "api_url"),
    "retell": ("agent_id", "phone_number", "api_url"),
}
OUTPUTS = ("state", "webhook_secret")


class WiringProvider(ResourceProvider):
    """One provider class for the three platforms; ``platform`` picks the module of ``functions.wiring``."""

    def __init__(self, platform: str) -> None:
        super().__init__()
        self.platform = platform

    def _client(self, props: dict[str, Any]) -> Any:
        from functions.wiring import PLATFORMS
        from shared.secrets import Secret

        module = PLATFORMS[self.platform]
        return module.api(Secret(props["api_key"]), props.get("api_url") or module.API_URL)

    def _wire(self, props: dict[str, Any], state: dict[str, Any] | None) -> Any:
        from functions.wiring import PLATFORMS, Endpoints, apply

        module = PLATFORMS[self.platform]
        with self._client(props) as client:
            return apply(module, client, module.target_from_props(props), Endpoints(props["base_url"]), state)

    def _outs(self, props: dict[str, Any], wired: Any, previous_secret: str | None = None) -> dict[str, Any]:
        generated = wired.generated.get("ELEVENLABS_HMAC_KEY")
        secret = generated.reveal() if generated is not None else previous_secret
        return {**props, "state": wired.state, "webhook_secret": secret or ""}

    def create(self, props: dict[str, Any]) -> CreateResult:
        wired = self._wire(props, None)
        target = props.get("agent_id") or props.get("phone_number_id")
        return CreateResult(f"{self.platform}-{target}", self._outs(props, wired))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        keys = (set(olds) | set(news)) - {*OUTPUTS, "__provider"}
        changed = sorted(key for key in keys if olds.get(key) != news.get(key))
        replaces = [key for key in changed if key in IDENTITY_INPUTS[self.platform]]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=True)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        wired = self._wire(news, olds.get("state"))
        return UpdateResult(self._outs(news, wired, olds.get("webhook_secret")))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        from functions.wiring import PLATFORMS

        with self._client(props) as client:
            PLATFORMS[self.platform].unwire(client, props.get("state") or {})


__all__ = ["IDENTITY_INPUTS", "WiringProvider"]
