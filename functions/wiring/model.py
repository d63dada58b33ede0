"""What a wiring needs and gives back, and the two comparisons every platform module shares.

``changes(current, desired)`` is the part of ``desired`` the platform does not have yet (nested objects
compared key by key, lists and values whole): an empty result means "send nothing". ``previous(current,
patch)`` is what those keys held before, kept in the wiring's state so an undo can put it back.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from shared.secrets import Secret

CLIENT_DATA, RETRIEVE, POST_CALL = "/client-data", "/retrieve", "/post-call"
TOOL_NAME = "memory_search"
TOOL_DESCRIPTION = (
    "Search what this caller told us in earlier calls (preferences, past issues, details). "
    "Use it when the caller refers to something from before or when a remembered detail would help."
)
QUERY_DESCRIPTION = "What to look up in the caller's memories, in a few words."


@dataclass(frozen=True)
class Endpoints:
    """The memory service's base URL (a deployed stack's, or a tunnel to ``serve``) and its three webhooks."""

    base_url: str

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("https://", "http://")):
            raise ValueError("the service URL must start with https:// (or http:// for a local test)")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))

    @property
    def client_data(self) -> str:
        return self.base_url + CLIENT_DATA

    @property
    def retrieve(self) -> str:
        return self.base_url + RETRIEVE

    @property
    def post_call(self) -> str:
        return self.base_url + POST_CALL


LOCAL_HOSTS = frozenset({"localhost"})


def _is_local(host: str) -> bool:
    if host in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def base_url(url: str) -> str:
    """``url`` checked as a service base URL, ``scheme://host[:port][/prefix]`` (a trailing ``/`` is dropped).

    The webhook paths are appended to it, so a query, fragment or credentials, or one of the webhook paths itself,
    would wire broken URLs; a prefix (an API stage, ``/prod``) is kept. ``http`` is for a local test (localhost)
    only. Raises ``ValueError`` naming what is wrong.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError("not a URL: expected https://host[:port]") from None
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise ValueError("expected https://host[:port] (http:// only for localhost)")
    if parts.scheme == "http" and not _is_local(host):
        raise ValueError("http:// is only for localhost: the platform needs https://host[:port]")
    if parts.username is not None or parts.password is not None:
        raise ValueError("credentials in the URL are not accepted: expected https://host[:port]")
    prefix = parts.path.rstrip("/")
    webhook = prefix.rsplit("/", 1)[-1] in ("client-data", "retrieve", "post-call")
    if webhook or parts.query or parts.fragment or url.strip().endswith(("?", "#")):
        raise ValueError(
            "the URL must be the service's base, https://host[:port] (and a stage prefix, if any), without a "
            "webhook path, query or fragment (connect adds /client-data, /retrieve and /post-call)"
        )
    netloc = host if ":" not in host else f"[{host}]"
    return f"{parts.scheme}://{netloc}" + (f":{port}" if port is not None else "") + prefix


@dataclass
class Wired:
    """The outcome of one run: the state to keep for the next run and the undo, what changed, and secrets the
    platform generated (ElevenLabs' HMAC key) for the caller to store; never printed."""

    state: dict[str, Any]
    changes: list[str] = field(default_factory=list)
    generated: dict[str, Secret] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def fingerprint(value: str) -> str:
    """Enough to notice a rotated secret between runs without keeping it (the secrets are random tokens)."""
    return hashlib.sha256(b"agentic-memory wiring\x00" + value.encode()).hexdigest()[:24]


def changes(current: Any, desired: Any) -> Any:
    """The part of ``desired`` that differs from ``current``; ``{}`` when nothing does."""
    if isinstance(desired, dict) and isinstance(current, dict):
        out = {}
        for key, value in desired.items():
            if isinstance(value, dict) and isinstance(current.get(key), dict):
                sub = changes(current[key], value)
                if sub:
                    out[key] = sub
            elif current.get(key) != value:
                out[key] = value
        return out
    return desired if current != desired else {}


def previous(current: Any, patch: dict[str, Any]) -> dict[str, Any]:
    """What ``current`` held at each key ``patch`` sets (``None`` where it had nothing)."""
    out: dict[str, Any] = {}
    for key, value in patch.items():
        had = current.get(key) if isinstance(current, dict) else None
        out[key] = previous(had, value) if isinstance(value, dict) and isinstance(had, dict) else had
    return out


def keep_first(before: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    """Merge a newer ``previous`` into the one kept since the first run: the first run's values win."""
    out = dict(before)
    for key, value in more.items():
        if key not in out:
            out[key] = value
        elif isinstance(out[key], dict) and isinstance(value, dict):
            out[key] = keep_first(out[key], value)
    return out


def describe(prefix: str, patch: dict[str, Any]) -> list[str]:
    """``agent abc: platform_settings.overrides.enable_...`` lines, one per leaf the patch sets."""
    lines: list[str] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict) and value:
            for key, item in value.items():
                walk(item, f"{path}.{key}" if path else key)
        else:
            lines.append(f"{prefix}: set {path}")

    walk(patch, "")
    return lines


__all__ = [
    "QUERY_DESCRIPTION",
    "TOOL_DESCRIPTION",
    "TOOL_NAME",
    "Endpoints",
    "Wired",
    "base_url",
    "changes",
    "describe",
    "fingerprint",
    "keep_first",
    "previous",
]
