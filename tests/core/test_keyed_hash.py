"""The stack's keyed hash: a caller reference depends on the key and the purpose, and is never computed unkeyed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from shared.errors import ConfigError
from shared.identity import CallerIdentity, legacy_user_ref
from shared.ingest.local import FileArchive
from shared.ingest.ports import Queue
from shared.keyed_hash import CALLER_REF_KEY, caller_ref_key, keyed_hash
from shared.runtime import build_runtime
from shared.secrets import EnvSecrets, Secret
from shared.settings import Settings
from tests.conftest import TEST_SECRETS

KEY_A = Secret("a" * 16 + "0123456789abcdef")
KEY_B = Secret("b" * 16 + "0123456789abcdef")
NUMBER = "+15555550123"


def test_the_hash_depends_on_the_key_and_the_purpose() -> None:
    assert keyed_hash(KEY_A, "user-ref", NUMBER) == keyed_hash(KEY_A, "user-ref", NUMBER)
    assert keyed_hash(KEY_A, "user-ref", NUMBER) != keyed_hash(KEY_B, "user-ref", NUMBER)
    assert keyed_hash(KEY_A, "user-ref", NUMBER) != keyed_hash(KEY_A, "experiment-variant", NUMBER)
    assert len(keyed_hash(KEY_A, "user-ref", NUMBER)) == 32
    assert len(keyed_hash(KEY_A, "user-ref", NUMBER, hex_chars=64)) == 64


def test_a_purpose_cannot_run_into_the_value() -> None:
    """``purpose`` and ``value`` are separated by a NUL no purpose may hold: ("a", "b:c") never meets ("a:b", "c")."""
    assert keyed_hash(KEY_A, "a", "b:c") != keyed_hash(KEY_A, "a:b", "c")
    for bad in ("", "User-Ref", "a\x00b", "x" * 65, "with space"):
        with pytest.raises(ValueError):
            keyed_hash(KEY_A, bad, NUMBER)
    with pytest.raises(ValueError):
        keyed_hash(KEY_A, "user-ref", NUMBER, hex_chars=8)


def test_no_unkeyed_hash_of_the_number_is_the_reference() -> None:
    identity = CallerIdentity(ref_key=KEY_A)
    ref = identity.user_ref(NUMBER)
    unkeyed = {
        hashlib.sha256(NUMBER.encode()).hexdigest()[:32],
        hashlib.sha256(b"agentic-memory:user-ref:" + NUMBER.encode()).hexdigest()[:32],
    }
    assert ref not in unkeyed and NUMBER not in ref
    assert identity.user_refs(NUMBER) == {ref, legacy_user_ref(NUMBER)}  # erasure still finds the old tags


def test_the_key_is_required_and_must_be_long_enough() -> None:
    with pytest.raises(ConfigError, match=CALLER_REF_KEY):
        caller_ref_key(EnvSecrets({}))
    with pytest.raises(ConfigError, match="at least 32"):
        caller_ref_key(EnvSecrets({CALLER_REF_KEY: "short"}))
    assert caller_ref_key(EnvSecrets({CALLER_REF_KEY: KEY_A.reveal()})) == KEY_A
    with pytest.raises(ConfigError, match=CALLER_REF_KEY):
        CallerIdentity().user_ref(NUMBER)  # an identity without the key names no one


def test_a_deployment_without_the_key_does_not_start(tmp_path: Path) -> None:
    """Fails closed at start-up, not at the first post-call: no event is ever archived with an unkeyed reference."""
    secrets = {name: value for name, value in TEST_SECRETS.items() if name != CALLER_REF_KEY}
    settings = Settings.from_environ({}, agent_type="elevenlabs_customer_support", data_dir=tmp_path)
    with pytest.raises(ConfigError, match=CALLER_REF_KEY):
        build_runtime(
            settings, secrets=EnvSecrets(secrets), archive=FileArchive(tmp_path / "archive"), queue=_NoQueue()
        )


class _NoQueue(Queue):
    def enqueue(self, key: str) -> None:
        raise AssertionError("nothing is enqueued by a runtime that does not start")
