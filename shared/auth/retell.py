"""``X-Retell-Signature: v=<unix ms>,d=<hex HMAC-SHA256(raw_body + v)>``, keyed by the webhook API key.

Accepts exactly what retell-sdk's ``Retell.verify`` accepts (``tests/auth/test_sdk_crosscheck.py`` proves it
against the installed SDK): the header must match ``v=<digits>,d=<64 lowercase hex>`` in full, the timestamp is
read as an integer (so ``v=0<ms>`` signs the same message as ``v=<ms>``), and it must lie within five minutes
of now in either direction. Unlike the SDK it works on the raw bytes, never on a decoded or re-encoded body.
"""

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
WINDOW_SECONDS = 300
# the SDK's own pattern (lowercase hex only), with the digit run bounded: a longer one is outside any window
_FORMAT = re.compile(r"v=([0-9]{1,20}),d=([0-9a-f]{64})")


class RetellSignature:
    def __init__(
        self,
        secret: Secret,
        *,
        header: str = HEADER,
        max_age_seconds: int = WINDOW_SECONDS,
        max_future_seconds: int = WINDOW_SECONDS,
    ) -> None:
        if not secret:
            raise ConfigError("an empty Retell API key cannot verify anything")
        self._key = secret.reveal().encode()
        self._header = header.lower()
        self._max_age_ms = max_age_seconds * 1000
        self._max_future_ms = max_future_seconds * 1000

    @classmethod
    def from_config(cls, auth: EndpointAuth, secret: Secret) -> RetellSignature:
        return cls(
            secret,
            header=auth.header or HEADER,
            max_age_seconds=auth.max_age_seconds,
            max_future_seconds=auth.max_future_seconds,
        )

    def _digest(self, body: bytes, timestamp_ms: int) -> str:
        return hmac.new(self._key, body + str(timestamp_ms).encode(), hashlib.sha256).hexdigest()

    def sign(self, body: bytes, timestamp_ms: int) -> str:
        """The header value Retell would send for ``body`` at ``timestamp_ms`` (for tests and local tools)."""
        return f"v={timestamp_ms},d={self._digest(body, timestamp_ms)}"

    def verify(self, body: bytes, headers: Mapping[str, str], *, now: float | None = None) -> None:
        try:
            match = _FORMAT.fullmatch(header_value(headers, self._header))
            if match is None:
                raise Unauthorized("malformed signature header")
            stamp = int(match.group(1))
            skew = round(current_time(now) * 1000) - stamp
            if skew > self._max_age_ms or -skew > self._max_future_ms:
                raise Unauthorized("signature timestamp outside the allowed window")
            if not hmac.compare_digest(self._digest(body, stamp).encode(), match.group(2).encode()):
                raise Unauthorized("invalid signature")
        except Unauthorized:
            raise
        except Exception as exc:  # any defect in the header is the one verification error
            raise Unauthorized("malformed signature header") from exc
