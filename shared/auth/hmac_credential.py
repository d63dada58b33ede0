"""A configurable HMAC credential (Vapi's HMAC authentication plan): headers, algorithm, message, encoding."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import TYPE_CHECKING

from shared.auth.base import current_time, header_value
from shared.errors import ConfigError, Unauthorized

if TYPE_CHECKING:
    from shared.config.models import EndpointAuth, HmacOptions
    from shared.secrets import Secret

_ALGORITHMS = {"sha256": hashlib.sha256, "sha512": hashlib.sha512, "sha1": hashlib.sha1}


class HmacCredential:
    def __init__(self, secret: Secret, options: HmacOptions, *, tolerance_seconds: int = 300) -> None:
        if not secret:
            raise ConfigError("an empty HMAC secret cannot verify anything")
        raw = secret.reveal()
        self._key = base64.b64decode(raw) if options.secret_is_base64 else raw.encode()
        self._options = options
        self._digest = _ALGORITHMS[options.algorithm]
        self._tolerance = tolerance_seconds

    @classmethod
    def from_config(cls, auth: EndpointAuth, secret: Secret) -> HmacCredential:
        assert auth.hmac is not None  # guaranteed by EndpointAuth's validator
        return cls(secret, auth.hmac, tolerance_seconds=auth.max_age_seconds)

    def _message(self, body: bytes, timestamp: str) -> bytes:
        head, sep, tail = self._options.payload_format.partition("{body}")
        render = lambda part: part.replace("{timestamp}", timestamp).encode()  # noqa: E731
        return render(head) + (body if sep else b"") + render(tail)

    def _signature(self, body: bytes, timestamp: str) -> str:
        mac = hmac.new(self._key, self._message(body, timestamp), self._digest).digest()
        encoded = base64.b64encode(mac).decode() if self._options.encoding == "base64" else mac.hex()
        return self._options.signature_prefix + encoded

    def sign(self, body: bytes, timestamp: str) -> dict[str, str]:
        headers = {self._options.signature_header: self._signature(body, timestamp)}
        if self._options.timestamp_header:
            headers[self._options.timestamp_header] = timestamp
        return headers

    def verify(self, body: bytes, headers: Mapping[str, str], *, now: float | None = None) -> None:
        try:
            received = header_value(headers, self._options.signature_header).strip()
            timestamp = ""
            if self._options.timestamp_header:
                timestamp = header_value(headers, self._options.timestamp_header).strip()
                seconds = int(timestamp)
                if seconds > 10**11:  # milliseconds: the unit is not documented, accept both
                    seconds //= 1000
                if abs(current_time(now) - seconds) > self._tolerance:
                    raise Unauthorized("signature timestamp outside the allowed window")
            expected = self._signature(body, timestamp)
            if not hmac.compare_digest(expected.encode(), received.encode()):
                raise Unauthorized("invalid signature")
        except Unauthorized:
            raise
        except Exception as exc:
            raise Unauthorized("malformed signature headers") from exc
