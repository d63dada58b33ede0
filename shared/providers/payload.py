"""Small helpers every provider uses to read untrusted JSON without crashing on nulls or wrong types."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from shared.errors import BadRequest


def require_object(payload: Any, what: str = "request body") -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise BadRequest(f"{what} must be a JSON object")
    return payload


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return str(value)
    return None


def scalar_text(value: Any) -> str | None:
    """A structured-extraction value as text: scalars as they are, objects as compact JSON, null as None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value).strip() or None
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)[:2000]


def timestamp(value: Any) -> datetime | None:
    """Unix seconds or milliseconds, or an ISO 8601 string; None if it is neither."""
    try:
        if isinstance(value, bool):
            return None
        if isinstance(value, (int, float)):
            seconds = value / 1000 if value > 10**11 else value
            return datetime.fromtimestamp(seconds, UTC)
        if isinstance(value, str) and value:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None
