"""Request authentication: one verifier per endpoint, built once at start-up from its ``EndpointAuth``.

A verifier fails closed: it cannot be built without its secret (``ConfigError`` at start-up), and every
defect in a request's credentials is the one ``Unauthorized`` (401), never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from shared.auth.base import Verifier
from shared.auth.elevenlabs import ElevenLabsSignature
from shared.auth.header import BearerOrHeaderSecret, HeaderSecret
from shared.auth.hmac_credential import HmacCredential
from shared.auth.retell import RetellSignature
from shared.errors import ConfigError

if TYPE_CHECKING:
    from shared.config.models import EndpointAuth
    from shared.secrets import Secret, SecretSource

VerifierFactory = Callable[["EndpointAuth", "Secret"], Verifier]

SCHEMES: dict[str, VerifierFactory] = {
    "header": HeaderSecret.from_config,
    "bearer_or_header": BearerOrHeaderSecret.from_config,
    "elevenlabs_hmac": ElevenLabsSignature.from_config,
    "retell_signature": RetellSignature.from_config,
    "hmac": HmacCredential.from_config,
}


def build_verifier(auth: EndpointAuth, secrets: SecretSource, *, endpoint: str) -> Verifier:
    """Raises ``ConfigError`` when the secret is missing: the function must not start with auth off."""
    secret = secrets.get(auth.secret)
    if not secret:
        raise ConfigError(f"secret {auth.secret} is not set but the {endpoint} endpoint needs it ({auth.scheme})")
    return SCHEMES[auth.scheme](auth, secret)


__all__ = ["SCHEMES", "Verifier", "build_verifier"]
