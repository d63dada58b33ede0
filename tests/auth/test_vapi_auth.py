"""Vapi's server-URL credentials: the bearer plan (any header, with or without ``Bearer``, legacy
``X-Vapi-Secret``) and the configurable HMAC plan, each failure mode on its own, and both through the app."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest

from shared.auth import build_verifier
from shared.auth.header import BearerOrHeaderSecret
from shared.auth.hmac_credential import HmacCredential
from shared.config.models import EndpointAuth, HmacOptions
from shared.errors import ConfigError, Unauthorized
from shared.http import Request
from shared.ingest.local import FileArchive, SqliteQueue
from shared.runtime import build_runtime
from shared.secrets import EnvSecrets, Secret
from shared.settings import Settings
from tests.conftest import TEST_SECRETS
from tests.providers.events import vapi_assistant_request, vapi_end_of_call

SECRET = TEST_SECRETS["VAPI_SECRET"]
NOW = 1_768_842_131.0
BODY = json.dumps({"message": {"type": "end-of-call-report", "call": {"id": "c1"}}}).encode()
REPO = Path(__file__).resolve().parents[2]


# bearer -------------------------------------------------------------------------------------------------------------


def bearer(header: str = "X-Vapi-Secret") -> BearerOrHeaderSecret:
    return BearerOrHeaderSecret(header, Secret(SECRET))


@pytest.mark.parametrize(
    "sent",
    [
        {"authorization": f"Bearer {SECRET}"},
        {"authorization": f"bearer {SECRET}"},
        {"authorization": f"Bearer  {SECRET} "},
        {"x-vapi-secret": SECRET},
        {"x-vapi-secret": f"Bearer {SECRET}"},  # a bearer plan pointed at another header keeps its prefix
        {"authorization": "Bearer wrong", "x-vapi-secret": SECRET},
        {"authorization": f"Bearer {SECRET}", "x-vapi-secret": "wrong"},
    ],
)
def test_bearer_plan_accepts(sent: dict[str, str]) -> None:
    bearer().verify(BODY, sent)


@pytest.mark.parametrize(
    "sent",
    [
        {},
        {"authorization": ""},
        {"authorization": "Bearer"},
        {"authorization": "Bearer "},
        {"authorization": f"Basic {SECRET}"},
        {"authorization": f"Bearer {SECRET}x"},
        {"authorization": f"Bearer {SECRET[:-1]}"},
        {"x-vapi-secret": SECRET.upper()},
        {"x-vapi-secret": ""},
        {"x-other": SECRET},
        {"x-vapi-secret": "\ud800"},  # a lone surrogate from a JSON-decoded cloud event
    ],
)
def test_bearer_plan_rejects(sent: dict[str, str]) -> None:
    with pytest.raises(Unauthorized):
        bearer().verify(BODY, sent)


def test_bearer_plan_on_a_custom_header_without_prefix() -> None:
    verifier = bearer("X-Memory-Token")
    verifier.verify(BODY, {"x-memory-token": SECRET})
    verifier.verify(BODY, {"authorization": f"Bearer {SECRET}"})
    with pytest.raises(Unauthorized):
        verifier.verify(BODY, {"x-vapi-secret": SECRET})


def test_bearer_needs_its_secret_at_start_up() -> None:
    with pytest.raises(ConfigError):
        BearerOrHeaderSecret("X-Vapi-Secret", Secret(""))
    auth = EndpointAuth(scheme="bearer_or_header", header="X-Vapi-Secret", secret="VAPI_SECRET")
    with pytest.raises(ConfigError, match="VAPI_SECRET"):
        build_verifier(auth, EnvSecrets({}), endpoint="client_data")


# HMAC ---------------------------------------------------------------------------------------------------------------


def credential(secret: str = SECRET, **options: Any) -> HmacCredential:
    return HmacCredential(Secret(secret), HmacOptions(**options))


def expect(options: HmacOptions, secret: bytes, message: bytes) -> str:
    algorithm = {"sha256": hashlib.sha256, "sha512": hashlib.sha512, "sha1": hashlib.sha1}[options.algorithm]
    mac = hmac.new(secret, message, algorithm).digest()
    encoded = base64.b64encode(mac).decode() if options.encoding == "base64" else mac.hex()
    return options.signature_prefix + encoded


def test_defaults_sign_timestamp_dot_body_as_documented() -> None:
    signed = credential().sign(BODY, "1768842131")
    assert signed == {
        "x-signature": expect(HmacOptions(), SECRET.encode(), b"1768842131." + BODY),
        "x-timestamp": "1768842131",
    }
    credential().verify(BODY, signed, now=NOW)


@pytest.mark.parametrize(
    "options",
    [
        {"algorithm": "sha512"},
        {"algorithm": "sha1"},
        {"encoding": "base64"},
        {"signature_prefix": "sha256="},
        {"payload_format": "{body}", "timestamp_header": None},
        {"payload_format": "{timestamp}:{body}:{timestamp}"},
        {"signature_header": "X-Vapi-Signature", "timestamp_header": "X-Vapi-Timestamp"},
    ],
)
def test_configured_variants_round_trip_and_match_by_hand(options: dict[str, Any]) -> None:
    opts = HmacOptions(**options)
    verifier = HmacCredential(Secret(SECRET), opts)
    stamp = "1768842131" if opts.timestamp_header else ""
    signed = verifier.sign(BODY, stamp)
    message = opts.payload_format.replace("{timestamp}", stamp).encode().replace(b"{body}", BODY)
    assert signed[opts.signature_header] == expect(opts, SECRET.encode(), message)
    verifier.verify(BODY, {k.lower(): v for k, v in signed.items()}, now=NOW)


def test_base64_secret_is_decoded() -> None:
    raw = b"\x00\x01binary-key\xff"
    verifier = credential(base64.b64encode(raw).decode(), secret_is_base64=True)
    signed = verifier.sign(BODY, "1768842131")
    assert signed["x-signature"] == expect(HmacOptions(), raw, b"1768842131." + BODY)
    verifier.verify(BODY, signed, now=NOW)


@pytest.mark.parametrize("stamp", ["1768842131", "1768842131412", "2026-01-19T17:02:11Z", "2026-01-19T17:02:11+00:00"])
def test_timestamp_in_seconds_milliseconds_or_iso(stamp: str) -> None:
    credential().verify(BODY, credential().sign(BODY, stamp), now=NOW)


@pytest.mark.parametrize("offset", [301, -301, 3600, -86_400])
def test_rejects_older_or_newer_than_the_window(offset: int) -> None:
    for stamp in (str(int(NOW) + offset), str((int(NOW) + offset) * 1000)):
        with pytest.raises(Unauthorized):
            credential().verify(BODY, credential().sign(BODY, stamp), now=NOW)
    credential().verify(BODY, credential().sign(BODY, str(int(NOW) + (300 if offset > 0 else -300))), now=NOW)


def test_rejects_another_key_and_any_one_byte_change() -> None:
    signed = credential().sign(BODY, "1768842131")
    with pytest.raises(Unauthorized):
        credential(SECRET + "x").verify(BODY, signed, now=NOW)
    for index in range(len(BODY)):
        changed = bytearray(BODY)
        changed[index] ^= 0x20
        with pytest.raises(Unauthorized):
            credential().verify(bytes(changed), signed, now=NOW)


def test_rejects_a_signature_moved_to_another_timestamp() -> None:
    signed = credential().sign(BODY, "1768842131")
    with pytest.raises(Unauthorized):
        credential().verify(BODY, {**signed, "x-timestamp": "1768842132"}, now=NOW)


@pytest.mark.parametrize(
    "sent",
    [
        {},
        {"x-signature": "00"},
        {"x-timestamp": "1768842131"},
        {"x-signature": "zz", "x-timestamp": "1768842131"},
        {"x-signature": "00", "x-timestamp": "yesterday"},
        {"x-signature": "00", "x-timestamp": "2026-01-19T17:02:11"},  # no zone: ambiguous
        {"x-signature": "00", "x-timestamp": "9" * 400},
        {"x-signature": "\ud800", "x-timestamp": "1768842131"},
    ],
)
def test_rejects_missing_or_malformed_headers_without_crashing(sent: dict[str, str]) -> None:
    with pytest.raises(Unauthorized):
        credential().verify(BODY, sent, now=NOW)


def test_prefix_is_optional_on_receipt_and_hex_case_insensitive() -> None:
    verifier = credential(signature_prefix="sha256=")
    signed = verifier.sign(BODY, "1768842131")
    bare = signed["x-signature"].removeprefix("sha256=")
    verifier.verify(BODY, {**signed, "x-signature": bare.upper()}, now=NOW)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"payload_format": "{method} {url} {body}"}, "not supported"),
        ({"payload_format": "{svix-id}.{timestamp}.{body}"}, "not supported"),
        ({"timestamp_header": None}, "timestamp_header"),
    ],
)
def test_configurations_that_could_never_verify_are_refused_by_the_config_itself(
    options: dict[str, Any], match: str, tmp_path: Path
) -> None:
    """So ``config validate`` says it before a deployment refuses to start."""
    from typer.testing import CliRunner

    from functions.cli import app

    with pytest.raises(ValueError, match=match):
        HmacOptions(**options)
    config = json.loads((REPO / "config" / "agent_types.json").read_text())
    plan = {"scheme": "hmac", "secret": "VAPI_SECRET", "hmac": {**options}}
    config["agent_types"]["vapi_receptionist"]["auth"] = {"post_call": plan}
    path = tmp_path / "agent_types.json"
    path.write_text(json.dumps(config))
    result = CliRunner().invoke(app, ["config", "validate", str(path)], env={"COLUMNS": "300"})
    assert result.exit_code == 1 and match in result.output


@pytest.mark.parametrize(
    ("options", "secret", "match"),
    [
        ({"secret_is_base64": True}, "not base64!", "base64"),
        ({}, "", "empty"),
    ],
)
def test_configurations_that_could_never_verify_are_refused_at_start_up(
    options: dict[str, Any], secret: str, match: str
) -> None:
    with pytest.raises(ConfigError, match=match):
        credential(secret, **options)


# through the app -------------------------------------------------------------------------------------------------


def hmac_runtime(tmp_path: Path, *, post_call_only: bool = False) -> tuple[Any, SqliteQueue]:
    config = json.loads((REPO / "config" / "agent_types.json").read_text())
    plan = {
        "scheme": "hmac",
        "secret": "VAPI_SECRET",
        "hmac": {"algorithm": "sha256", "signature_prefix": "", "payload_format": "{timestamp}.{body}"},
    }
    auth = config["agent_types"]["vapi_receptionist"].setdefault("auth", {})
    auth.update({"post_call": plan} if post_call_only else {"client_data": plan, "retrieve": plan, "post_call": plan})
    path = tmp_path / "agent_types.json"
    path.write_text(json.dumps(config))
    settings = Settings.from_environ({}, agent_type="vapi_receptionist", data_dir=tmp_path, config_path=path)
    queue = SqliteQueue(tmp_path / "queue.db")
    runtime = build_runtime(
        settings, secrets=EnvSecrets(TEST_SECRETS), archive=FileArchive(tmp_path / "archive"), queue=queue
    )
    return runtime, queue


def test_app_with_an_hmac_credential(tmp_path: Path) -> None:
    import time

    runtime, queue = hmac_runtime(tmp_path)
    signer = credential()
    try:

        def send(path: str, payload: dict[str, Any], headers: dict[str, str]) -> Any:
            body = json.dumps(payload).encode()
            resolved = headers if headers else signer.sign(body, str(int(time.time() * 1000)))
            return runtime.app.handle(Request.build("POST", path, resolved, body))

        assert send("/post-call", vapi_end_of_call(), {"X-Vapi-Secret": SECRET}).status == 401
        assert send("/post-call", vapi_end_of_call(), {"x-signature": "00", "x-timestamp": "1"}).status == 401
        assert list(runtime.archive.entries()) == []
        ack = send("/post-call", vapi_end_of_call(), {})
        assert (ack.status, json.loads(ack.body)["status"]) == (200, "queued")
        answer = send("/client-data", vapi_assistant_request(), {})
        assert answer.status == 200 and "assistantOverrides" in json.loads(answer.body)
    finally:
        runtime.store.close()
        queue.close()


def test_a_message_sent_to_another_route_needs_the_authentication_of_what_it_is(tmp_path: Path) -> None:
    """Vapi sends any message to any route: an end-of-call report on the pre-call URL is still a post-call, and
    the HMAC configured for post-calls is required there too (the bearer secret of the pre-call is not enough)."""
    import time

    runtime, queue = hmac_runtime(tmp_path, post_call_only=True)
    try:
        body = json.dumps(vapi_end_of_call()).encode()
        bearer_only = {"authorization": f"Bearer {SECRET}"}
        for path in ("/client-data", "/retrieve"):
            refused = runtime.app.handle(Request.build("POST", path, bearer_only, body))
            assert refused.status == 401, path
        assert list(runtime.archive.entries()) == []
        both = {**bearer_only, **credential().sign(body, str(int(time.time() * 1000)))}
        accepted = runtime.app.handle(Request.build("POST", "/client-data", both, body))
        assert (accepted.status, json.loads(accepted.body)["status"]) == (200, "queued")
        pre_call = json.dumps(vapi_assistant_request()).encode()
        assert runtime.app.handle(Request.build("POST", "/client-data", bearer_only, pre_call)).status == 200
    finally:
        runtime.store.close()
        queue.close()
