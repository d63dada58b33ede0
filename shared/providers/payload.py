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


def _plain(value: Any) -> bool:
    return isinstance(value, (int, float, str)) and not isinstance(value, bool)


def scalar_text(value: Any) -> str | None:
    """A structured-extraction value as text: scalars as they are, a list of them as "latex, penicillin", other
    objects as compact JSON, null as None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if _plain(value):
        return str(value).strip() or None
    if isinstance(value, list) and all(_plain(item) for item in value):
        return ", ".join(text for item in value if (text := str(item).strip()))[:2000] or None
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)[:2000]


def extracted_fields(value: Any, name: str) -> dict[str, str]:
    """An extraction object as ``{field: text}``; the members of an object inside it as fields of their own
    (``{"customer": {"name": "Dana"}}`` gives ``customer_name``, which the caller-name rule knows); a scalar under
    ``name``. Deeper objects stay compact JSON."""
    if not isinstance(value, dict):
        text = scalar_text(value)
        return {name: text} if text is not None else {}
    found: dict[str, str] = {}
    for key, member in value.items():
        if isinstance(member, dict) and member and not any(isinstance(inner, dict) for inner in member.values()):
            found.update({f"{key}_{k}"[:64]: text for k, v in member.items() if (text := scalar_text(v)) is not None})
        elif (text := scalar_text(member)) is not None:
            found[str(key)[:64]] = text
    return found


def timestamp(value: Any) -> datetime | None:
    """Unix seconds or milliseconds (a number, or digits in a string), or an ISO 8601 string (in UTC, a naive one taken
    as UTC); None if it is neither.

    Zero or less is a placeholder for "not known", never a call in 1970: its memories would be past their retention
    before they were written, and the call forgotten while the platform was told it was queued."""
    try:
        if isinstance(value, bool):
            return None
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, (int, float)):
            if value <= 0:
                return None
            seconds = value / 1000 if value > 10**11 else value
            return datetime.fromtimestamp(seconds, UTC)
        if isinstance(value, str) and value:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            # in UTC, as every store keeps it: a Mem0 store kept the offset, and showed the agent the call's day there
            return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None
