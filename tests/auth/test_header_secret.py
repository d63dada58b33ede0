from __future__ import annotations

import pytest

from shared.auth import build_verifier
from shared.auth.header import HeaderSecret
from shared.config.models import EndpointAuth
from shared.errors import ConfigError, Unauthorized
from shared.secrets import EnvSecrets, Secret


def test_accepts_exact_secret_only() -> None:
    v = HeaderSecret("X-Workspace-Key", Secret("s3cret"))
    v.verify(b"{}", {"x-workspace-key": "s3cret"})
    for bad in ({"x-workspace-key": "s3cret "}, {"x-workspace-key": "S3CRET"}, {"x-workspace-key": ""}, {}):
        with pytest.raises(Unauthorized):
            v.verify(b"{}", bad)


def test_missing_secret_stops_start_up() -> None:
    auth = EndpointAuth(scheme="header", header="X-API-Key", secret="GENERIC_API_KEY")
    with pytest.raises(ConfigError, match="GENERIC_API_KEY"):
        build_verifier(auth, EnvSecrets({}), endpoint="client_data")
    with pytest.raises(ConfigError):
        build_verifier(auth, EnvSecrets({"GENERIC_API_KEY": ""}), endpoint="client_data")


def test_secret_repr_hides_value() -> None:
    secret = Secret("very-secret-value")
    assert "very-secret-value" not in repr(secret)
    assert "very-secret-value" not in str(secret)
    assert "very-secret-value" not in repr(EnvSecrets({"X": "very-secret-value"}).get("X"))
