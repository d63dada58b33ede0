"""The verifier protocol and the helpers every scheme shares."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Protocol

from shared.errors import Unauthorized


class Verifier(Protocol):
    def verify(self, body: bytes, headers: Mapping[str, str], *, now: float | None = None) -> None:
        """Raise ``Unauthorized`` unless the request carries valid credentials. ``headers`` are lowercased."""


def header_value(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name.lower())
    if not value:
        raise Unauthorized(f"missing {name} header")
    return value


def current_time(now: float | None) -> float:
    return time.time() if now is None else now


def parse_elements(value: str) -> list[tuple[str, str]]:
    """``a=1,b=2,b=3`` as ordered pairs; malformed elements are skipped, duplicates kept (key rotation)."""
    pairs = []
    for element in value.split(","):
        name, sep, item = element.strip().partition("=")
        if sep and name and item:
            pairs.append((name.strip(), item.strip()))
    return pairs
