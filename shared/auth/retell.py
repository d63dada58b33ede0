"""``X-Retell-Signature: v=<unix ms>,d=<hex HMAC-SHA256(raw_body + v)>``, keyed by the webhook API key."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from shared.auth.base import current_time, header_value
from shared.errors import ConfigError, Unauthorized

if TYPE_CHECKING:
    from shared.config.models import EndpointAuth
    from shared.secrets import Secret

HEADER = "x-retell-signature"
_FORMAT = re.compile(r"v=(\d{1,16}),d=([0-9a-fA-F]{64})")


class RetellSignature:
    def __init__(self, secret: Secret, *, header: str = HEADER, tolerance_seconds: int = 300) -> None:
        if not secret:
            raise ConfigError("an empty Retell API key cannot verify anything")
        self._key = secret.reveal().encode()
        self._header = header.lower()
        self._tolerance_ms = tolerance_seconds * 1000

    @classmethod
    def from_config(cls, auth: EndpointAuth, secret: Secret) -> RetellSignature:
        return cls(secret, header=auth.header or HEADER, tolerance_seconds=auth.max_age_seconds)

    def sign(self, body: bytes, timestamp_ms: int) -> str:
        digest = hmac.new(self._key, body + str(timestamp_ms).encode(), hashlib.sha256).hexdigest()
        return f"v={timestamp_ms},d={digest}"

    def verify(self, body: bytes, headers: Mapping[str, str], *, now: float | None = None) -> None:
        try:
            match = _FORMAT.fullmatch(header_value(headers, self._header).strip())
            if match is None:
                raise Unauthorized("malformed signature header")
            stamp, digest = match.groups()
            if abs(current_time(now) * 1000 - int(stamp)) > self._tolerance_ms:
                raise Unauthorized("signature timestamp outside the allowed window")
            expected = hmac.new(self._key, body + stamp.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected.encode(), digest.lower().encode()):
                raise Unauthorized("invalid signature")
        except Unauthorized:
            raise
        except Exception as exc:
            raise Unauthorized("malformed signature header") from exc
