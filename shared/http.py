"""The neutral request and response every cloud edge converts to and from."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Request:
    """An HTTP request as received: lowercased header names, the raw body bytes (base64 already decoded)."""

    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    query: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        method: str,
        path: str,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        query: Mapping[str, str] | None = None,
    ) -> Request:
        return cls(
            method=method.upper(),
            path=path or "/",
            headers={k.lower(): v for k, v in (headers or {}).items()},
            body=body,
            query=dict(query or {}),
        )

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


# Every JSON answer is about one call or one caller: no cache (a browser's, a proxy's) may keep it, and no browser
# may read it as anything but JSON.
JSON_HEADERS = {"content-type": "application/json", "cache-control": "no-store", "x-content-type-options": "nosniff"}


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=lambda: dict(JSON_HEADERS))

    @classmethod
    def json(cls, payload: Any, status: int = 200) -> Response:
        data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        return cls(status=status, body=data, headers=dict(JSON_HEADERS))

    @classmethod
    def error(cls, status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
        answer = cls.json({"error": message}, status=status)
        return cls(answer.status, answer.body, {**answer.headers, **(headers or {})})

    def without_body(self) -> Response:
        """The answer to a HEAD request: the GET's status and headers, no body."""
        return Response(self.status, b"", self.headers)
