"""``X-Retell-Signature``: each failure mode on its own, the window's edges, and the app's 401 on every route."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.auth import build_verifier
from shared.auth.retell import RetellSignature
from shared.config.models import EndpointAuth
from shared.errors import ConfigError, Unauthorized
from shared.secrets import EnvSecrets, Secret
from tests.conftest import TEST_SECRETS
from tests.providers.events import retell_call_analyzed, sign_retell

KEY = TEST_SECRETS["RETELL_API_KEY"]
NOW_MS = 1_768_842_131_412
NOW = NOW_MS / 1000
BODY = json.dumps({"event": "call_analyzed", "call": {"call_id": "call_1"}}, separators=(",", ":")).encode()
WINDOW_MS = 5 * 60 * 1000


def verifier(key: str = KEY) -> RetellSignature:
    return RetellSignature(Secret(key))


def headers(value: str) -> dict[str, str]:
    return {"x-retell-signature": value}


def reject(value: str, body: bytes = BODY, now: float = NOW) -> None:
    with pytest.raises(Unauthorized):
        verifier().verify(body, headers(value), now=now)


def test_matches_the_documented_scheme_by_hand() -> None:
    digest = hmac.new(KEY.encode(), BODY + str(NOW_MS).encode(), hashlib.sha256).hexdigest()
    assert verifier().sign(BODY, NOW_MS) == f"v={NOW_MS},d={digest}"
    verifier().verify(BODY, headers(f"v={NOW_MS},d={digest}"), now=NOW)


@pytest.mark.parametrize("offset_ms", [0, 1, -1, WINDOW_MS, -WINDOW_MS, WINDOW_MS - 1, -(WINDOW_MS - 1)])
def test_accepts_within_five_minutes_either_way(offset_ms: int) -> None:
    verifier().verify(BODY, headers(verifier().sign(BODY, NOW_MS + offset_ms)), now=NOW)


@pytest.mark.parametrize("offset_ms", [WINDOW_MS + 1, -(WINDOW_MS + 1), 3_600_000, -3_600_000, -NOW_MS])
def test_rejects_older_or_newer_than_the_window(offset_ms: int) -> None:
    reject(verifier().sign(BODY, NOW_MS + offset_ms))


def test_rejects_another_key() -> None:
    reject(RetellSignature(Secret(KEY + "x")).sign(BODY, NOW_MS))
    reject(RetellSignature(Secret("key_other_0002")).sign(BODY, NOW_MS))


def test_rejects_every_one_byte_change_of_the_body() -> None:
    signature = verifier().sign(BODY, NOW_MS)
    for index in range(len(BODY)):
        changed = bytearray(BODY)
        changed[index] ^= 0x01
        reject(signature, bytes(changed))
    reject(signature, BODY + b" ")
    reject(signature, BODY[:-1])
    reject(signature, b"")


@given(body=st.binary(max_size=256), index=st.integers(min_value=0), flip=st.integers(min_value=1, max_value=255))
@settings(max_examples=200, deadline=None)
def test_any_signed_body_verifies_and_any_changed_byte_fails(body: bytes, index: int, flip: int) -> None:
    signature = verifier().sign(body, NOW_MS)
    verifier().verify(body, headers(signature), now=NOW)
    if body:
        changed = bytearray(body)
        changed[index % len(body)] ^= flip
        reject(signature, bytes(changed))


def test_rejects_a_signature_over_the_timestamp_it_does_not_claim() -> None:
    digest = verifier().sign(BODY, NOW_MS).split(",d=")[1]
    reject(f"v={NOW_MS + 1},d={digest}")


@pytest.mark.parametrize(
    "value",
    [
        "",
        "v=,d=",
        "d={d},v={v}",
        "v={v}",
        "d={d}",
        "v={v},d={d},d={d}",
        "v={v};d={d}",
        "v={v}, d={d}",
        " v={v},d={d}",
        "v={v},d={D}",  # uppercase hex: the SDK's pattern is lowercase only
        "v={v},d={d}00",
        "v={v},d={short}",
        "v=-{v},d={d}",
        "v={v}.5,d={d}",
        "t={v},v0={d}",
        "v=" + "9" * 5000 + ",d={d}",
        "v=١٧٦٨٨٤٢١٣١٤١٢,d={d}",  # non-ASCII digits
    ],
)
def test_rejects_malformed_headers_without_crashing(value: str) -> None:
    digest = verifier().sign(BODY, NOW_MS).split(",d=")[1]
    reject(value.format(v=NOW_MS, d=digest, D=digest.upper(), short=digest[:-1]))


def test_leading_zeros_sign_the_same_timestamp_as_the_sdk_reads_it() -> None:
    digest = verifier().sign(BODY, NOW_MS).split(",d=")[1]
    verifier().verify(BODY, headers(f"v=0{NOW_MS},d={digest}"), now=NOW)


def test_missing_header_is_401() -> None:
    with pytest.raises(Unauthorized):
        verifier().verify(BODY, {}, now=NOW)
    with pytest.raises(Unauthorized):
        verifier().verify(BODY, {"x-retell-signaturex": verifier().sign(BODY, NOW_MS)}, now=NOW)


def test_empty_key_is_refused_at_start_up() -> None:
    with pytest.raises(ConfigError):
        RetellSignature(Secret(""))
    auth = EndpointAuth(scheme="retell_signature", header="X-Retell-Signature", secret="RETELL_API_KEY")
    with pytest.raises(ConfigError, match="RETELL_API_KEY"):
        build_verifier(auth, EnvSecrets({}), endpoint="post_call")


def test_window_comes_from_the_endpoint_config() -> None:
    auth = EndpointAuth(scheme="retell_signature", secret="RETELL_API_KEY", max_age_seconds=60, max_future_seconds=10)
    strict = build_verifier(auth, EnvSecrets({"RETELL_API_KEY": KEY}), endpoint="post_call")
    strict.verify(BODY, headers(verifier().sign(BODY, NOW_MS - 60_000)), now=NOW)
    for offset in (-60_001, 10_001):
        with pytest.raises(Unauthorized):
            strict.verify(BODY, headers(verifier().sign(BODY, NOW_MS + offset)), now=NOW)


@pytest.mark.parametrize("path", ["/client-data", "/retrieve", "/post-call"])
@pytest.mark.parametrize("case", ["old", "future", "other_key", "changed_body", "missing"])
def test_app_rejects_each_case_with_401_and_stores_nothing(local_runtime: Any, path: str, case: str) -> None:
    import time

    local = local_runtime("retell_appointments")
    body = json.dumps(retell_call_analyzed()).encode()
    now_ms = int(time.time() * 1000)
    signature = {
        "old": sign_retell(body, at_ms=now_ms - WINDOW_MS - 60_000),
        "future": sign_retell(body, at_ms=now_ms + WINDOW_MS + 60_000),
        "other_key": sign_retell(body, key="key_other_0002"),
        "changed_body": sign_retell(body.replace(b"call_analyzed", b"call_analyzeD")),
        "missing": None,
    }[case]
    response = local.call("POST", path, body, {"X-Retell-Signature": signature} if signature else {})
    assert response.status == 401
    assert set(json.loads(response.body)) == {"error"}
    assert list(local.runtime.archive.entries()) == []
    assert local.queue.counts() == {}
