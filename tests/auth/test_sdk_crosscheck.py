"""Our signature checks against the platforms' own Python SDKs (dev-only dependencies), both ways.

Retell: ``retell-sdk`` signs and verifies; we accept exactly what ``Retell.verify`` accepts and reject what it
rejects, proved on fixed cases and by a differential property test with the clock pinned (the SDK's own
``symmetric["verify"]`` takes a ``timestamp`` option; the public ``verify`` is used with the real clock).

ElevenLabs: ``webhooks.construct_event`` only verifies (the SDK has no signer), so headers built as the
documentation's reference code builds them stand in for "signed by theirs". On the canonical header the platform
sends, the decisions agree; the one deliberate difference is that we also bound future timestamps (5 minutes),
which the SDK does not check (reference/platforms.md §2.3).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from elevenlabs import ElevenLabs
from hypothesis import given, settings
from hypothesis import strategies as st
from retell import Retell
from retell.lib import verify as retell_lib_verify
from retell.lib.webhook_auth import symmetric as retell_symmetric

from shared.auth.elevenlabs import ElevenLabsSignature
from shared.auth.retell import RetellSignature
from shared.errors import Unauthorized
from shared.secrets import Secret
from tests.conftest import TEST_SECRETS, elevenlabs_post_call
from tests.providers.events import retell_call_analyzed

RETELL_KEY = TEST_SECRETS["RETELL_API_KEY"]
ELEVENLABS_KEY = TEST_SECRETS["ELEVENLABS_HMAC_KEY"]
WINDOW_MS = 5 * 60 * 1000
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)
# a blank key never reaches a verifier: it counts as not configured and stops start-up (test_blank_secrets.py)
KEYS = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40).filter(str.strip)


def ours_accept_retell(body: str, key: str, header: str, now_ms: int | None = None) -> bool:
    try:
        RetellSignature(Secret(key)).verify(
            body.encode(), {"x-retell-signature": header}, now=None if now_ms is None else now_ms / 1000
        )
    except Unauthorized:
        return False
    return True


def sdk_accept_retell(body: str, key: str, header: str, now_ms: int) -> bool:
    return bool(retell_symmetric["verify"](body, key, header, {"timestamp": now_ms}))


def retell_body() -> str:
    return json.dumps(retell_call_analyzed(), separators=(",", ":"), ensure_ascii=False)


# Retell: ours -> theirs ---------------------------------------------------------------------------------------------


def test_retell_sdk_verifies_what_we_sign() -> None:
    body = retell_body()
    header = RetellSignature(Secret(RETELL_KEY)).sign(body.encode(), int(time.time() * 1000))
    assert Retell(api_key=RETELL_KEY).verify(body, RETELL_KEY, header) is True
    assert retell_lib_verify(body, RETELL_KEY, header) is True


@pytest.mark.parametrize(
    "case", ["old", "future", "other_key", "changed_body", "uppercase_hex", "reordered", "truncated"]
)
def test_retell_sdk_rejects_what_we_reject(case: str) -> None:
    body = retell_body()
    now_ms = int(time.time() * 1000)
    signer = RetellSignature(Secret(RETELL_KEY))
    header = signer.sign(body.encode(), now_ms)
    stamp, digest = header.split(",")
    sent_body, sent = body, header
    if case == "old":
        sent = signer.sign(body.encode(), now_ms - WINDOW_MS - 5_000)
    elif case == "future":
        sent = signer.sign(body.encode(), now_ms + WINDOW_MS + 5_000)
    elif case == "other_key":
        sent = RetellSignature(Secret(RETELL_KEY + "2")).sign(body.encode(), now_ms)
    elif case == "changed_body":
        sent_body = body.replace("call_analyzed", "call_analyzeD")
    elif case == "uppercase_hex":
        sent = f"{stamp},{digest.upper().replace('D=', 'd=')}"
    elif case == "reordered":
        sent = f"{digest},{stamp}"
    elif case == "truncated":
        sent = header[:-1]
    assert Retell(api_key=RETELL_KEY).verify(sent_body, RETELL_KEY, sent) is False
    assert ours_accept_retell(sent_body, RETELL_KEY, sent) is False


# Retell: theirs -> ours ---------------------------------------------------------------------------------------------


def test_we_verify_what_the_retell_sdk_signs() -> None:
    body = retell_body()
    header = retell_symmetric["sign"](body, RETELL_KEY)
    assert ours_accept_retell(body, RETELL_KEY, header) is True
    assert Retell(api_key=RETELL_KEY).verify(body, RETELL_KEY, header) is True


def test_we_reject_what_the_retell_sdk_signed_for_something_else() -> None:
    body = retell_body()
    now_ms = int(time.time() * 1000)
    assert not ours_accept_retell(body, RETELL_KEY, retell_symmetric["sign"](body, "another-key"))
    assert not ours_accept_retell(body + " ", RETELL_KEY, retell_symmetric["sign"](body, RETELL_KEY))
    old = retell_symmetric["sign"](body, RETELL_KEY, now_ms - WINDOW_MS - 5_000)
    assert not ours_accept_retell(body, RETELL_KEY, old)
    assert not retell_lib_verify(body, RETELL_KEY, old)


# Retell: differential, clock pinned -----------------------------------------------------------------------------


def _mutations(header: str) -> st.SearchStrategy[str]:
    stamp, digest = header.split(",")
    return st.sampled_from(
        [
            header,
            header.upper(),
            f"{stamp},{digest.upper().replace('D=', 'd=')}",
            f"v=0{stamp[2:]},{digest}",
            f"v=00{stamp[2:]},{digest}",
            f"{stamp}, {digest}",
            f" {header}",
            f"{header} ",
            f"{digest},{stamp}",
            header[:-1],
            header + "0",
            f"{stamp},{digest},{digest}",
            header.replace(",", ";"),
            f"v={stamp[2:]}.0,{digest}",
            "",
        ]
    )


@given(
    body=TEXT,
    key=KEYS,
    signing_key=st.one_of(st.none(), KEYS),
    offset_ms=st.integers(min_value=-2 * WINDOW_MS, max_value=2 * WINDOW_MS)
    | st.sampled_from([-WINDOW_MS - 1, -WINDOW_MS, WINDOW_MS, WINDOW_MS + 1, 0]),
    data=st.data(),
)
@settings(max_examples=400, deadline=None)
def test_retell_decisions_match_the_sdk(
    body: str, key: str, signing_key: str | None, offset_ms: int, data: st.DataObject
) -> None:
    now_ms = 1_768_842_131_412
    header = retell_symmetric["sign"](body, signing_key or key, now_ms + offset_ms)
    sent = data.draw(_mutations(header))
    tampered = data.draw(st.sampled_from([body, body + "x", body[:-1]]))
    assert ours_accept_retell(tampered, key, sent, now_ms) == sdk_accept_retell(tampered, key, sent, now_ms)


@given(header=st.text(max_size=120), body=TEXT)
@settings(max_examples=200, deadline=None)
def test_retell_arbitrary_headers_match_the_sdk(header: str, body: str) -> None:
    now_ms = 1_768_842_131_412
    assert ours_accept_retell(body, RETELL_KEY, header, now_ms) == sdk_accept_retell(body, RETELL_KEY, header, now_ms)


# ElevenLabs ---------------------------------------------------------------------------------------------------------


@functools.cache
def elevenlabs_client() -> ElevenLabs:
    return ElevenLabs(api_key="test-not-used")  # construct_event is local; the key is never sent anywhere


def sdk_accept_elevenlabs(body: str, header: str, secret: str = ELEVENLABS_KEY) -> bool:
    try:
        event = elevenlabs_client().webhooks.construct_event(body, header, secret)
    except Exception:  # the SDK raises BadRequestError, or ValueError on a malformed t=
        return False
    assert event == json.loads(body)
    return True


def ours_accept_elevenlabs(body: str, header: str, secret: str = ELEVENLABS_KEY) -> bool:
    try:
        ElevenLabsSignature(Secret(secret)).verify(body.encode(), {"elevenlabs-signature": header})
    except Unauthorized:
        return False
    return True


def documented_header(body: str, timestamp: int, secret: str = ELEVENLABS_KEY) -> str:
    """The header as the docs' reference code computes it: hex HMAC-SHA256 of ``"<t>.<body>"``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v0={digest}"


def elevenlabs_body() -> str:
    return json.dumps(elevenlabs_post_call(), ensure_ascii=False)


def test_elevenlabs_sdk_verifies_what_we_sign() -> None:
    body = elevenlabs_body()
    now = int(time.time())
    header = ElevenLabsSignature(Secret(ELEVENLABS_KEY)).sign(body.encode(), now)
    assert header == documented_header(body, now)
    assert sdk_accept_elevenlabs(body, header)


def test_we_verify_the_documented_header_the_sdk_accepts() -> None:
    body = elevenlabs_body()
    header = documented_header(body, int(time.time()) - 60)
    assert sdk_accept_elevenlabs(body, header)
    assert ours_accept_elevenlabs(body, header)


# offsets keep 60 s away from each bound so the two real clocks cannot disagree
@pytest.mark.parametrize(
    ("offset", "sdk", "ours"),
    [
        (0, True, True),
        (-29 * 60, True, True),
        (4 * 60, True, True),
        (-31 * 60, False, False),
        (-24 * 3600, False, False),
        (6 * 60, True, False),  # the deliberate difference: we bound future timestamps, the SDK does not
        (24 * 3600, True, False),
    ],
)
def test_elevenlabs_window_against_the_sdk(offset: int, sdk: bool, ours: bool) -> None:
    body = elevenlabs_body()
    header = documented_header(body, int(time.time()) + offset)
    assert (sdk_accept_elevenlabs(body, header), ours_accept_elevenlabs(body, header)) == (sdk, ours)


@given(
    payload=st.dictionaries(st.text(max_size=10), TEXT, max_size=4),
    signing_key=st.one_of(st.none(), KEYS),
    offset=st.sampled_from([-40 * 60, -29 * 60, -60, 0, 60, 4 * 60]),
    change=st.sampled_from(["none", "append", "drop_last", "swap_case"]),
)
@settings(max_examples=150, deadline=None)
def test_elevenlabs_decisions_match_the_sdk_on_canonical_headers(
    payload: dict[str, Any], signing_key: str | None, offset: int, change: str
) -> None:
    body = json.dumps(payload, ensure_ascii=False)
    header = documented_header(body, int(time.time()) + offset, signing_key or ELEVENLABS_KEY)
    # a changed body fails the signature before the SDK parses it, so it need not stay valid JSON
    sent = {"none": body, "append": body + " ", "drop_last": body[:-1], "swap_case": body.swapcase()}[change]
    assert ours_accept_elevenlabs(sent, header) == sdk_accept_elevenlabs(sent, header)
