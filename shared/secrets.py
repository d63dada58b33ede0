"""Secrets: a masked value type and the lookup port (environment locally, a cloud secret store deployed)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Protocol

SECRET_NAMES = (
    "ELEVENLABS_WORKSPACE_KEY",
    "ELEVENLABS_HMAC_KEY",
    "VAPI_SECRET",
    "RETELL_API_KEY",
    "GENERIC_API_KEY",
    "ADMIN_API_KEY",
    "MEM0_API_KEY",
    "PSEUDONYMIZATION_KEY",
    "CALLER_REF_KEY",  # created by the stack itself (``shared.keyed_hash``), never set by hand
)


class Secret:
    """A secret string whose ``repr`` and ``str`` never show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        """Only whitespace is no secret: a garbled value (``" "``, a lone newline) must not authenticate anything, nor
        key a hash anyone could recompute."""
        return bool(self._value.strip())


def configured(value: str | None) -> Secret | None:
    """The secret for a configured value; None for a missing, empty or whitespace-only one (not configured)."""
    secret = Secret(value or "")
    return secret if secret else None


class SecretSource(Protocol):
    def get(self, name: str) -> Secret | None:
        """The secret, or None when it is not configured (an empty or whitespace-only value counts as not
        configured)."""


class EnvSecrets:
    """Secrets from a mapping, the process environment by default (Cloud Functions mounts them there)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def get(self, name: str) -> Secret | None:
        return configured(self._environ.get(name))


class ChainedSecrets:
    """The first source that has the secret wins."""

    def __init__(self, *sources: SecretSource) -> None:
        self._sources = sources

    def get(self, name: str) -> Secret | None:
        for source in self._sources:
            found = source.get(name)
            if found:
                return found
        return None
