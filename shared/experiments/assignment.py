"""Sticky assignment: one bucket value in [0, 1) per caller and experiment, from a keyed hash.

The value is HMAC-SHA256 under the stack's key of the purpose (``variant:<experiment>``) and the caller's memory
user id, so it is the same on every instance, process and cloud (never Python's salted ``hash()``), and nobody
without the key can tell which variant a caller is in. Variants take consecutive ranges of [0, 1) in their
declared order, sized by weight; a rollout is on below its percentage, so raising it only adds callers.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

_SCALE = float(1 << 64)


def bucket(key: bytes, purpose: str, subject: str) -> float:
    """A uniform value in [0, 1): the first 64 bits of HMAC-SHA256(key, purpose NUL subject)."""
    message = purpose.encode() + b"\x00" + subject.encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def pick_variant(weights: Sequence[tuple[str, float]], value: float) -> str:
    """The variant whose range holds ``value``; ranges follow the declared order. Raises ``ValueError`` if the
    weights sum to zero (the config refuses that)."""
    total = sum(weight for _, weight in weights)
    if total <= 0:
        raise ValueError("variant weights must sum to more than zero")
    edge = 0.0
    for name, weight in weights:
        edge += weight / total
        if value < edge:
            return name
    return next(name for name, weight in reversed(weights) if weight > 0)  # rounding at the top edge


def rollout_on(percent: float, value: float) -> bool:
    """On for the callers whose value is below ``percent``/100: a higher percentage is a superset."""
    return value * 100.0 < percent
