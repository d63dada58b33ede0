"""A secret that is only whitespace is no secret: every source reports it as not configured, so authentication
fails closed (the service does not start, or the admin API stays shut) instead of accepting anyone who signs with
" " or sends a tab as the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from functions.aws.secrets import SecretsManagerSecrets
from functions.local import GeneratedSecrets
from shared.auth import build_verifier
from shared.config.models import EndpointAuth
from shared.errors import ConfigError
from shared.keyed_hash import caller_ref_key
from shared.secrets import ChainedSecrets, EnvSecrets, Secret
from tests.conftest import TEST_SECRETS, make_local_runtime

BLANKS = (" ", "  ", "\t", "\n", " \r\n ", " " * 48)


class _SecretsManager:
    def __init__(self, values: dict[str, object]) -> None:
        self._raw = json.dumps(values)

    def get_secret_value(self, SecretId: str) -> dict[str, str]:
        return {"SecretString": self._raw}


@pytest.mark.parametrize("blank", BLANKS)
def test_every_source_reports_a_blank_secret_as_missing(blank: str, tmp_path: Path) -> None:
    assert not Secret(blank)
    assert EnvSecrets({"ELEVENLABS_HMAC_KEY": blank}).get("ELEVENLABS_HMAC_KEY") is None
    manager = SecretsManagerSecrets("arn:secret", client=_SecretsManager({"ELEVENLABS_HMAC_KEY": blank}))
    assert manager.get("ELEVENLABS_HMAC_KEY") is None
    generated = GeneratedSecrets(tmp_path / "secrets.json")
    generated.store("ELEVENLABS_HMAC_KEY", blank)
    assert generated.get("ELEVENLABS_HMAC_KEY") is None
    # a blank value in the environment falls through to the next source, as an empty one does
    fallback = EnvSecrets({"ADMIN_API_KEY": "admin-key-0123456789"})
    chained = ChainedSecrets(EnvSecrets({"ADMIN_API_KEY": blank}), fallback)
    assert chained.get("ADMIN_API_KEY") == Secret("admin-key-0123456789")


def test_a_blank_stored_secret_is_generated_anew(tmp_path: Path) -> None:
    generated = GeneratedSecrets(tmp_path / "secrets.json")
    generated.store("ADMIN_API_KEY", "   ")
    made = generated.ensure(["ADMIN_API_KEY"])["ADMIN_API_KEY"]
    assert made.strip() and len(made) >= 32
    assert generated.get("ADMIN_API_KEY") == Secret(made)


@pytest.mark.parametrize("scheme", ["elevenlabs_hmac", "retell_signature", "header", "bearer_or_header"])
def test_a_blank_secret_stops_start_up(scheme: str) -> None:
    auth = EndpointAuth(scheme=scheme, header="X-Key", secret="GENERIC_API_KEY")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="GENERIC_API_KEY"):
        build_verifier(auth, EnvSecrets({"GENERIC_API_KEY": "  "}), endpoint="post_call")


def test_a_blank_caller_ref_key_is_refused() -> None:
    with pytest.raises(ConfigError, match="CALLER_REF_KEY"):
        caller_ref_key(EnvSecrets({"CALLER_REF_KEY": " " * 64}))


def test_a_blank_hmac_key_cannot_sign_a_post_call(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ELEVENLABS_HMAC_KEY"):
        make_local_runtime(tmp_path, "elevenlabs_customer_support", {**TEST_SECRETS, "ELEVENLABS_HMAC_KEY": "  "})


def test_a_blank_admin_key_keeps_the_admin_api_shut(tmp_path: Path) -> None:
    local = make_local_runtime(tmp_path, "elevenlabs_customer_support", {**TEST_SECRETS, "ADMIN_API_KEY": " \t "})
    try:
        for key in (" \t ", "\t", " "):
            answer = local.call("GET", "/admin/config", headers={"X-Admin-Key": key})
            assert answer.status == 401
        config = json.loads(local.call("GET", "/admin/config").body)  # shut: never reached
        assert "error" in config
    finally:
        local.runtime.store.close()
        local.queue.close()
