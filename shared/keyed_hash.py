"""Keyed hashes under the stack's ``CALLER_REF_KEY``: references to a caller that only the stack can compute.

A phone number has about ten billion values, so an unkeyed hash of one is reversed by trying them all; an HMAC
under a per-stack random key is not. One key serves several purposes (caller references in the archive, the
mem0 pending log's record names, sticky experiment variants), kept apart by a purpose string: the same value
hashed for two purposes gives unrelated results, so one use never reveals another.

The stack creates the key itself (``infra.caller_ref_key``) and keeps it only in its secret store; ``serve``
generates it into the data dir like the other local secrets. It is never derived from another secret: rotating
an API key must not change every caller's reference.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from shared.errors import ConfigError
from shared.secrets import Secret, SecretSource

CALLER_REF_KEY = "CALLER_REF_KEY"
MIN_KEY_CHARS = 32  # what the stack and ``serve`` generate (32 random bytes as hex or base64url) is longer
_PURPOSE = re.compile(r"^[a-z0-9][a-z0-9.:_-]{0,63}$")
DEFAULT_HEX_CHARS = 32  # 128 bits: collisions are out of reach for any number of callers


def keyed_hash(key: Secret, purpose: str, value: str, *, hex_chars: int = DEFAULT_HEX_CHARS) -> str:
    """HMAC-SHA256 of ``value`` under ``key``, separated by ``purpose``; the first ``hex_chars`` hex digits.

    Raises ``ValueError`` for a purpose outside ``[a-z0-9.:_-]`` (it is part of the hashed message, before a
    NUL that no purpose contains, so two purposes can never produce the same message) or a length out of range.
    """
    if not _PURPOSE.match(purpose):
        raise ValueError("a keyed-hash purpose is 1-64 characters of [a-z0-9.:_-]")
    if not 16 <= hex_chars <= 64:
        raise ValueError("hex_chars must be between 16 and 64")
    message = purpose.encode() + b"\x00" + value.encode("utf-8")
    return hmac.new(key.reveal().encode("utf-8"), message, hashlib.sha256).hexdigest()[:hex_chars]


def caller_ref_key(secrets: SecretSource) -> Secret:
    """The stack's key. Raises ``ConfigError`` when it is missing or too short: no caller reference is ever
    written unkeyed (fails closed, at start-up)."""
    key = secrets.get(CALLER_REF_KEY)
    if not key:
        raise ConfigError(
            f"secret {CALLER_REF_KEY} is not set: the stack creates it (locally `agentic-memory serve` generates it)"
        )
    return long_enough(CALLER_REF_KEY, key)


def long_enough(name: str, key: Secret) -> Secret:
    """``key`` if it has ``MIN_KEY_CHARS``; a short key makes keyed hashes of phone numbers guessable. Raises
    ``ConfigError`` naming the secret, never its value."""
    if len(key.reveal()) < MIN_KEY_CHARS:
        raise ConfigError(f"secret {name} must be at least {MIN_KEY_CHARS} characters of random data")
    return key


__all__ = ["CALLER_REF_KEY", "MIN_KEY_CHARS", "caller_ref_key", "keyed_hash", "long_enough"]
