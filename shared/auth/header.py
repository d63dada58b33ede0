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
        if not hmac.compare_digest(header_value(headers, self._header).encode(), self._expected):
            raise Unauthorized("invalid credentials")


class BearerOrHeaderSecret:
    """``Authorization: Bearer <secret>`` or the secret alone in ``header`` (Vapi's legacy ``X-Vapi-Secret``)."""

    def __init__(self, header: str, secret: Secret) -> None:
        if not secret:
            raise ConfigError("an empty secret cannot authenticate anything")
        self._header = header.lower()
        self._expected = secret.reveal().encode()

    @classmethod
    def from_config(cls, auth: EndpointAuth, secret: Secret) -> BearerOrHeaderSecret:
        return cls(auth.header or "", secret)

    def verify(self, body: bytes, headers: Mapping[str, str], *, now: float | None = None) -> None:
        candidates = []
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            candidates.append(token.strip())
        if headers.get(self._header):
            candidates.append(headers[self._header])
        if not candidates:
            raise Unauthorized("missing credentials")
        # compare every candidate so the time taken does not depend on which one matched
        results = [hmac.compare_digest(c.encode(), self._expected) for c in candidates]
        if not any(results):
            raise Unauthorized("invalid credentials")
