"""Secret references resolve from the environment or a file; failures name the reference, never a value."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.tenants.errors import SecretReferenceError
from infra.tenants.models import parse_tenants
from infra.tenants.secrets import SecretResolver
from shared.secrets import Secret


def tenants(secrets: dict[str, str]) -> list:  # type: ignore[type-arg]
    data = {"tenants": [{"id": "acme", "agent_type": "generic_voice_agent", "cloud": "aws", "region": "x"}]}
    data["tenants"][0]["secrets"] = secrets  # type: ignore[index]
    return parse_tenants(data).tenants


def test_env_and_file_references(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "admin").write_text("admin-from-file\n")
    (tmp_path / "crlf").write_text("generic-from-file\r\n")
    resolver = SecretResolver(environ={"MEM0": "mem0-from-env"}, base_dir=tmp_path)
    resolved = resolver.resolve_all(
        tenants(
            {"ADMIN_API_KEY": "file:keys/admin", "GENERIC_API_KEY": f"file:{tmp_path}/crlf", "MEM0_API_KEY": "env:MEM0"}
        )
    )
    values = {name: secret.reveal() for name, secret in resolved["acme"].items()}
    assert values == {
        "ADMIN_API_KEY": "admin-from-file",
        "GENERIC_API_KEY": "generic-from-file",
        "MEM0_API_KEY": "mem0-from-env",
    }
    assert all(isinstance(secret, Secret) and "from" not in repr(secret) for secret in resolved["acme"].values())


def test_only_one_trailing_newline_is_dropped(tmp_path: Path) -> None:
    (tmp_path / "k").write_text("line1\nline2\n\n")
    assert SecretResolver(environ={}, base_dir=tmp_path).resolve_one("file:k").reveal() == "line1\nline2\n"


def test_every_failure_is_reported_at_once_without_values(tmp_path: Path) -> None:
    (tmp_path / "empty").write_text("\n")
    resolver = SecretResolver(environ={"SET": "value-that-must-not-leak", "BLANK": ""}, base_dir=tmp_path)
    with pytest.raises(SecretReferenceError) as caught:
        resolver.resolve_all(
            tenants(
                {
                    "ADMIN_API_KEY": "env:UNSET",
                    "GENERIC_API_KEY": "env:BLANK",
                    "MEM0_API_KEY": "file:empty",
                    "VAPI_SECRET": "file:nowhere",
                    "RETELL_API_KEY": "env:SET",
                }
            )
        )
    message = str(caught.value)
    assert "tenant 'acme': secret ADMIN_API_KEY: environment variable UNSET is not set" in message
    assert "secret GENERIC_API_KEY: environment variable BLANK is not set or empty" in message
    assert f"secret MEM0_API_KEY: file {tmp_path / 'empty'} is empty" in message
    assert "secret VAPI_SECRET: file" in message and "cannot be read" in message
    assert "RETELL_API_KEY" not in message and "value-that-must-not-leak" not in message


def test_a_blank_value_is_as_missing_as_an_empty_one(tmp_path: Path) -> None:
    """A secret of spaces, or a file of a few blank lines, would deploy a key anyone can guess: refused."""
    (tmp_path / "blank").write_text("  \n\n")
    resolver = SecretResolver(environ={"SPACES": "   ", "TAB": "\t"}, base_dir=tmp_path)
    cases = (("env:SPACES", "not set or empty"), ("env:TAB", "not set or empty"), ("file:blank", "empty"))
    for reference, said in cases:
        with pytest.raises(SecretReferenceError, match=said):
            resolver.resolve_one(reference)


def test_binary_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bin").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(SecretReferenceError, match="not UTF-8"):
        SecretResolver(environ={}, base_dir=tmp_path).resolve_one("file:bin")


def test_a_pseudonymization_key_is_each_tenants_own_and_long_enough() -> None:
    """The functions refuse a short key at start-up, and one key in two tenants gives a caller the same stored id in
    both: both are said before anything is deployed."""
    from infra.tenants.checks import _own_key_problems
    from shared.secrets import Secret

    shared, short = Secret("p" * 40), Secret("short")
    problems = _own_key_problems(
        {
            "acme": {"PSEUDONYMIZATION_KEY": shared},
            "globex": {"PSEUDONYMIZATION_KEY": shared},
            "initech": {"PSEUDONYMIZATION_KEY": short},
        }
    )
    assert "tenant 'initech': secret PSEUDONYMIZATION_KEY must be at least 32 characters of random data" in problems
    assert "tenants 'acme', 'globex' share one PSEUDONYMIZATION_KEY: each needs its own" in problems
    assert not any("p" * 40 in problem or "short'" in problem for problem in problems)
