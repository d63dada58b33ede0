"""Sticky assignment: one bucket value in [0, 1) per caller and experiment, from a keyed hash.

The value is the stack's keyed hash (``shared.keyed_hash``: HMAC-SHA256 under ``CALLER_REF_KEY``) of the caller's
memory user id for the purpose ``variant:<experiment>`` (``rollout:<name>``), so it is the same on every instance,
process and cloud (never Python's salted ``hash()``), and nobody without the key can tell a caller's variant.
Variants take consecutive ranges of [0, 1) in their declared order, sized by weight; a rollout is on below its
percentage, so raising it only adds callers.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.keyed_hash import keyed_hash
from shared.secrets import Secret

_SCALE = float(1 << 64)


def bucket(key: Secret, purpose: str, subject: str) -> float:
    """A uniform value in [0, 1): the first 64 bits of HMAC-SHA256(key, purpose NUL subject)."""
    return int(keyed_hash(key, purpose, subject, hex_chars=16), 16) / _SCALE


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
