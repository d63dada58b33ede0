"""A shared secret sent in a header (ElevenLabs initiation webhook and tools, generic, admin)."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import TYPE_CHECKING

from shared.auth.base import header_value
from shared.errors import ConfigError, Unauthorized

if TYPE_CHECKING:
    from shared.config.models import EndpointAuth
    from shared.secrets import Secret


class HeaderSecret:
    def __init__(self, header: str, secret: Secret) -> None:
        if not secret:
            raise ConfigError("an empty secret cannot authenticate anything")
        self._header = header.lower()
        self._expected = secret.reveal().encode()

    @classmethod
    def from_config(cls, auth: EndpointAuth, secret: Secret) -> HeaderSecret:
        return cls(auth.header or "", secret)

    def verify(self, body: bytes, headers: Mapping[str, str], *, now: float | None = None) -> None:
        try:
            matches = hmac.compare_digest(header_value(headers, self._header).encode(), self._expected)
        except UnicodeError:  # a lone surrogate from a JSON-decoded Lambda event: not our secret (it was a 500)
            raise Unauthorized("invalid credentials") from None
        if not matches:
            raise Unauthorized("invalid credentials")


class BearerOrHeaderSecret:
    """Vapi's bearer credential: ``Authorization: Bearer <secret>`` or the secret in ``header``.

    Vapi's ``BearerAuthenticationPlan`` can target any header, with or without the ``Bearer`` prefix; the legacy
    form is ``X-Vapi-Secret: <secret>``. Both headers are read, each with or without the prefix, and every
    candidate is compared so the time taken does not depend on which one matched.
    """

    def __init__(self, header: str, secret: Secret) -> None:
        if not secret:
            raise ConfigError("an empty secret cannot authenticate anything")
        self._headers = tuple(dict.fromkeys(("authorization", header.lower()))) if header else ("authorization",)
        self._expected = secret.reveal().encode()

    @classmethod
    def from_config(cls, auth: EndpointAuth, secret: Secret) -> BearerOrHeaderSecret:
        return cls(auth.header or "", secret)

    def _candidates(self, headers: Mapping[str, str]) -> list[str]:
        found = []
        for name in self._headers:
            value = headers.get(name, "").strip()
            scheme, sep, token = value.partition(" ")
            if sep and scheme.lower() == "bearer":
                value = token.strip()
            if value:
                found.append(value)
        return found

    def verify(self, body: bytes, headers: Mapping[str, str], *, now: float | None = None) -> None:
        candidates = self._candidates(headers)
        if not candidates:
            raise Unauthorized("missing credentials")
        try:
            results = [hmac.compare_digest(c.encode(), self._expected) for c in candidates]
        except UnicodeError:  # e.g. a lone surrogate from a JSON-decoded cloud event: not our secret
            raise Unauthorized("invalid credentials") from None
        if not any(results):
            raise Unauthorized("invalid credentials")
