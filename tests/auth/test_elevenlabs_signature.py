"""ElevenLabs-Signature: every failure mode on its own, and the accepted shapes."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from shared.auth.elevenlabs import ElevenLabsSignature
from shared.errors import ConfigError, Unauthorized
from shared.secrets import Secret

KEY = "test-hmac-key-0001"
BODY = b'{"type":"post_call_transcription","data":{"conversation_id":"c1"}}'
NOW = 1_800_000_000


def verifier(**kw: int) -> ElevenLabsSignature:
    return ElevenLabsSignature(Secret(KEY), **kw)


def header(value: str) -> dict[str, str]:
    return {"elevenlabs-signature": value}


def digest(body: bytes, t: int, key: str = KEY) -> str:
    return hmac.new(key.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def test_accepts_own_signature() -> None:
    v = verifier()
    v.verify(BODY, header(v.sign(BODY, NOW)), now=NOW)


def test_accepts_extra_elements_and_rotated_keys() -> None:
    value = f"t={NOW},v0={digest(BODY, NOW, 'old-key')},v0={digest(BODY, NOW)},v1=ignored"
    verifier().verify(BODY, header(value), now=NOW)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (f"t={NOW},v0={'0' * 64}", "invalid"),
        (f"t={NOW},v0={digest(BODY, NOW, 'another-key')}", "invalid"),
        (f"t={NOW - 1801},v0={digest(BODY, NOW - 1801)}", "window"),
        (f"t={NOW + 301},v0={digest(BODY, NOW + 301)}", "window"),
        (f"v0={digest(BODY, NOW)}", "malformed"),
        (f"t={NOW}", "malformed"),
        ("t=abc,v0=zz", "malformed"),
        ("garbage", "malformed"),
        (f"t={NOW},t={NOW},v0={digest(BODY, NOW)}", "malformed"),
        ("", "missing"),
    ],
)
def test_rejects(value: str, reason: str) -> None:
    with pytest.raises(Unauthorized):
        verifier().verify(BODY, header(value), now=NOW)


def test_rejects_body_changed_by_one_byte() -> None:
    v = verifier()
    signed = header(v.sign(BODY, NOW))
    with pytest.raises(Unauthorized):
        v.verify(BODY[:-1] + b" ", signed, now=NOW)


def test_rejects_missing_header() -> None:
    with pytest.raises(Unauthorized):
        verifier().verify(BODY, {}, now=NOW)


def test_window_edges_are_inclusive() -> None:
    v = verifier()
    v.verify(BODY, header(v.sign(BODY, NOW - 1800)), now=NOW)
    v.verify(BODY, header(v.sign(BODY, NOW + 300)), now=NOW)


def test_empty_secret_is_refused_at_construction() -> None:
    with pytest.raises(ConfigError):
        ElevenLabsSignature(Secret(""))
