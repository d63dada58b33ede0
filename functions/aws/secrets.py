"""The secret port on Secrets Manager: the stack's one JSON secret, read once per process."""

from __future__ import annotations

import json
import threading
from typing import Any

from functions.aws.errors import error_code as _error_code
from shared.errors import ConfigError
from shared.secrets import Secret, configured


class SecretsManagerSecrets:
    """The stack's one JSON secret (``{"ELEVENLABS_HMAC_KEY": ...}``) by ARN, fetched once and kept for the process."""

    def __init__(self, secret_arn: str, *, client: Any) -> None:
        self._arn = secret_arn
        self._client = client
        self._values: dict[str, str] | None = None
        self._lock = threading.Lock()

    def _load(self) -> dict[str, str]:
        with self._lock:
            if self._values is None:
                self._values = self._fetch()
            return self._values

    def _fetch(self) -> dict[str, str]:
        try:
            raw = self._client.get_secret_value(SecretId=self._arn)["SecretString"]
        except Exception as exc:
            code = _error_code(exc) or type(exc).__name__
            raise ConfigError(f"cannot read the stack secret from Secrets Manager ({code})") from exc
        try:
            values = json.loads(raw)
        except ValueError:
            values = None
        if not isinstance(values, dict):
            raise ConfigError("the stack secret in Secrets Manager must be a JSON object of secret names")
        return {str(name): value for name, value in values.items() if isinstance(value, str)}

    def get(self, name: str) -> Secret | None:
        return configured(self._load().get(name))


__all__ = ["SecretsManagerSecrets"]
