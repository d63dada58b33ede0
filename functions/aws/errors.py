"""botocore ``ClientError`` codes, read without importing botocore."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def error_code(exc: Exception) -> str:
    response: Mapping[str, Any] = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))
