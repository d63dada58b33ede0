"""The queue message shared by SQS and Pub/Sub: ``{"key": <idempotency key>}`` and nothing else (no body, no PII)."""

from __future__ import annotations

import json


def encode_message(key: str) -> str:
    return json.dumps({"key": key}, separators=(",", ":"))


def decode_message(body: str | bytes) -> str:
    """Raises ``ValueError`` for a body that is not ``{"key": "<non-empty string>"}``."""
    payload = json.loads(body)
    key = payload.get("key") if isinstance(payload, dict) else None
    if not isinstance(key, str) or not key:
        raise ValueError("queue message without a key")
    return key
