"""``ElevenLabs-Signature: t=<unix s>,v0=<hex HMAC-SHA256("<t>.<raw body>")>`` on post-call webhooks."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import TYPE_CHECKING

from shared.auth.base import current_time, header_value
from shared.errors import ConfigError, Unauthorized

if TYPE_CHECKING:
    from shared.config.models import EndpointAuth
    from shared.secrets import Secret

HEADER = "elevenlabs-signature"


class ElevenLabsSignature:
    def __init__(
        self, secret: Secret, *, header: str = HEADER, max_age_seconds: int = 1800, max_future_seconds: int = 300
    ) -> None:
        if not secret:
            raise ConfigError("an empty HMAC secret cannot verify anything")
        self._key = secret.reveal().encode()
        self._header = header.lower()
        self._max_age = max_age_seconds
        self._max_future = max_future_seconds

    @classmethod
    def from_config(cls, auth: EndpointAuth, secret: Secret) -> ElevenLabsSignature:
        return cls(
            secret,
            header=auth.header or HEADER,
            max_age_seconds=auth.max_age_seconds,
            max_future_seconds=auth.max_future_seconds,
        )

    def sign(self, body: bytes, timestamp: int) -> str:
        digest = hmac.new(self._key, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
        return f"t={timestamp},v0={digest}"

    def verify(self, body: bytes, headers: Mapping[str, str], *, now: float | None = None) -> None:
        try:
            # as the SDK parses it: no spaces, decimal t, lowercase hex; several v0 accepted (key rotation)
            elements = [element.partition("=") for element in header_value(headers, self._header).split(",")]
            stamps = [value for name, _, value in elements if name == "t"]
            signatures = [value for name, _, value in elements if name == "v0"]
            if len(stamps) != 1 or not stamps[0].isdigit() or not signatures:
                raise Unauthorized("malformed signature header")
            timestamp = int(stamps[0])
            age = current_time(now) - timestamp
            if age > self._max_age or -age > self._max_future:
                raise Unauthorized("signature timestamp outside the allowed window")
            expected = hmac.new(self._key, stamps[0].encode() + b"." + body, hashlib.sha256).hexdigest()
            if not any(hmac.compare_digest(expected.encode(), sig.encode()) for sig in signatures):
                raise Unauthorized("invalid signature")
        except Unauthorized:
            raise
        except Exception as exc:  # any defect in the header is the one verification error
            raise Unauthorized("malformed signature header") from exc
