"""How a memory's meaning vector is kept: unit-length float16, little-endian, packed as bytes.

``Memory.vector`` holds these bytes (512 for 256 dimensions), so any store keeps them as an opaque binary value
(a SQLite BLOB, a DynamoDB ``B``, Firestore bytes) and the ranking unpacks them. No numpy: a caller has tens to a
few hundred memories, and ``struct`` plus a dot product over them costs well under a millisecond.
"""

from __future__ import annotations

import math
import operator
import struct
from collections.abc import Sequence
from functools import lru_cache

Vector = tuple[float, ...]


@lru_cache(maxsize=8)
def _format(dimensions: int) -> struct.Struct:
    return struct.Struct(f"<{dimensions}e")


def normalise(values: Sequence[float]) -> Vector:
    norm = math.sqrt(sum(v * v for v in values))
    return tuple(v / norm for v in values) if norm > 0 else tuple(0.0 for _ in values)


def pack(values: Sequence[float]) -> bytes:
    """Unit-normalised float16 bytes of a vector."""
    return _format(len(values)).pack(*normalise(values))


def unpack(blob: bytes) -> Vector:
    if not blob or len(blob) % 2:
        raise ValueError("a memory vector is a non-empty run of float16 values")
    return _format(len(blob) // 2).unpack(blob)


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine of two unit vectors (their dot product); 0.0 when their sizes differ (another model's vector)."""
    if len(a) != len(b):
        return 0.0
    return float(sum(map(operator.mul, a, b)))
