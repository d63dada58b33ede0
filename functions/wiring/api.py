"""A platform's REST API over httpx: the key in a header, JSON in and out, the platform's own error message out.

The key is only ever in the ``Authorization``/``xi-api-key`` header of a request: never in an error, a log
line or a ``repr``. A client is built per wiring (never a global), so the Pulumi provider pickles cleanly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx

from shared.identity import mask

TIMEOUT_SECONDS = 20.0
PHONE_NUMBER = re.compile(r"\+\d{7,15}")  # a Retell number in a path (``/get-phone-number/+1...``)


def shown(path: str) -> str:
    """A request path as an error shows it: a phone number in it masked, as every other line of the wiring does."""
    return PHONE_NUMBER.sub(lambda found: mask(found.group()), path)


class WiringError(Exception):
    """A wiring could not be completed; the message names what, never a key."""


class PlatformError(WiringError):
    """The platform refused a call: its HTTP status and the message it gave."""

    def __init__(self, platform: str, method: str, path: str, status: int, message: str) -> None:
        super().__init__(f"{platform} {method} {shown(path)} failed ({status}): {message}")
        self.platform = platform
        self.status = status
        self.message = message


def platform_message(response: httpx.Response) -> str:
    """The message in the error body, whichever platform's shape it has (ElevenLabs ``detail``, Vapi
    ``message``, Retell ``error_message``); the raw text (shortened) when it is not JSON."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300] or response.reason_phrase
    for key in ("detail", "message", "error_message", "error"):
        value = body.get(key) if isinstance(body, dict) else None
        if isinstance(value, dict):
            value = value.get("message") or value.get("status") or value
        if isinstance(value, list):
            value = "; ".join(str(item.get("msg", item)) if isinstance(item, dict) else str(item) for item in value)
        if value:
            return str(value)[:300]
    return str(body)[:300]


class PlatformApi:
    """JSON calls against one platform; ``transport`` lets tests route to a fake over real HTTP or in memory."""

    def __init__(
        self,
        platform: str,
        base_url: str,
        auth_headers: Mapping[str, str],
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.platform = platform
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={**auth_headers, "accept": "application/json"},
            timeout=timeout,
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"PlatformApi({self.platform!r}, {str(self._client.base_url)!r})"

    def call(self, method: str, path: str, json: Any = None, *, missing_ok: bool = False) -> Any:
        """One call; ``None`` for a 404 when ``missing_ok`` (a thing deleted outside of us), else its JSON."""
        try:
            response = self._client.request(method, path, json=json)
        except httpx.HTTPError as exc:
            raise WiringError(f"{self.platform} {method} {shown(path)}: {type(exc).__name__}") from exc
        if missing_ok and response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise PlatformError(self.platform, method, path, response.status_code, platform_message(response))
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            return {}

    def get(self, path: str, *, missing_ok: bool = False) -> Any:
        return self.call("GET", path, missing_ok=missing_ok)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> PlatformApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["PlatformApi", "PlatformError", "WiringError", "platform_message", "shown"]
