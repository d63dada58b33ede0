"""A configurable HMAC credential (Vapi's HMAC authentication plan): headers, algorithm, message, encoding.

Vapi documents the plan's fields but not the timestamp's unit or a replay window, so the timestamp is read as
unix seconds, unix milliseconds or ISO 8601 and must lie within the endpoint's window (past and future bounded
separately). The message is built from the exact received bytes. Placeholders this verifier cannot see
(``{method}``, ``{url}``, ``{svix-id}``) are refused by the config model (``config validate`` and start-up)
rather than silently never matching.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from shared.auth.base import current_time, header_value
from shared.errors import ConfigError, Unauthorized

if TYPE_CHECKING:
    from shared.config.models import EndpointAuth, HmacOptions
    from shared.secrets import Secret

_ALGORITHMS = {"sha256": hashlib.sha256, "sha512": hashlib.sha512, "sha1": hashlib.sha1}
_MILLISECONDS = 10**11  # a unix time above this is in milliseconds (seconds reach it in the year 5138)


def _parse_timestamp(value: str) -> float:
    if value.isascii() and value.isdigit():
        number = int(value)
        return number / 1000 if number > _MILLISECONDS else float(number)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("a timestamp without a time zone is ambiguous")
    return parsed.timestamp()


class HmacCredential:
    def __init__(
        self, secret: Secret, options: HmacOptions, *, max_age_seconds: int = 300, max_future_seconds: int = 300
    ) -> None:
        if not secret:
            raise ConfigError("an empty HMAC secret cannot verify anything")
        raw = secret.reveal()
        try:
            self._key = base64.b64decode(raw, validate=True) if options.secret_is_base64 else raw.encode()
        except (binascii.Error, ValueError):
            raise ConfigError("the HMAC secret is configured as base64 but is not valid base64") from None
        self._options = options
        self._digest = _ALGORITHMS[options.algorithm]
        self._max_age = max_age_seconds
        self._max_future = max_future_seconds

    @classmethod
    def from_config(cls, auth: EndpointAuth, secret: Secret) -> HmacCredential:
        if auth.hmac is None:  # EndpointAuth's validator already refuses this
            raise ConfigError("scheme 'hmac' needs an 'hmac' block")
        return cls(secret, auth.hmac, max_age_seconds=auth.max_age_seconds, max_future_seconds=auth.max_future_seconds)

    def _message(self, body: bytes, timestamp: str) -> bytes:
        template = self._options.payload_format.split("{body}")
        return body.join(part.replace("{timestamp}", timestamp).encode() for part in template)

    def _encoded(self, body: bytes, timestamp: str) -> str:
        mac = hmac.new(self._key, self._message(body, timestamp), self._digest).digest()
        return base64.b64encode(mac).decode() if self._options.encoding == "base64" else mac.hex()

    def sign(self, body: bytes, timestamp: str) -> dict[str, str]:
        """The headers Vapi would send for ``body`` with this credential (for tests and local tools)."""
        headers = {self._options.signature_header: self._options.signature_prefix + self._encoded(body, timestamp)}
        if self._options.timestamp_header:
            headers[self._options.timestamp_header] = timestamp
        return headers

    def verify(self, body: bytes, headers: Mapping[str, str], *, now: float | None = None) -> None:
        try:
            received = header_value(headers, self._options.signature_header).strip()
            prefix = self._options.signature_prefix
            if prefix and received.startswith(prefix):
                received = received[len(prefix) :]
            timestamp = ""
            if self._options.timestamp_header:
                timestamp = header_value(headers, self._options.timestamp_header).strip()
                skew = current_time(now) - _parse_timestamp(timestamp)
                if skew > self._max_age or -skew > self._max_future:
                    raise Unauthorized("signature timestamp outside the allowed window")
            expected = self._encoded(body, timestamp)
            if self._options.encoding == "hex":
                received = received.lower()
            if not hmac.compare_digest(expected.encode(), received.encode()):
                raise Unauthorized("invalid signature")
        except Unauthorized:
            raise
        except Exception as exc:  # any defect in the headers is the one verification error
            raise Unauthorized("malformed signature headers") from exc
