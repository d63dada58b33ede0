"""Overrides: a partial agent type (nested JSON objects) laid over the agent type's own settings.

Objects merge key by key; any other value (a list, a string, a number) replaces the one below. The result is
validated as a whole agent type, so a new setting is overridable as soon as the models know it, and a mistake
is reported like any other config error. What identifies or protects the deployment cannot vary per caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Settings a variant may not change: who the platform is, how requests are authenticated and parsed (known
# before the caller is), how callers are identified, and the experiments themselves.
NOT_OVERRIDABLE = (
    "description",
    "provider",
    "auth",
    "webhooks",
    "field_mappings",
    "identity",
    "analytics",
    "experiments",
    "rollouts",
)
NOT_OVERRIDABLE_PATHS = (("memory", "archive_retention_days"),)  # the bucket's lifecycle is per stack


def merge(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``patch`` laid over it (a new dict; neither argument changes)."""
    merged = dict(base)
    for key, value in patch.items():
        below = merged.get(key)
        if isinstance(value, Mapping) and isinstance(below, Mapping):
            merged[key] = merge(below, value)
        else:
            merged[key] = value
    return merged


def forbidden(patch: Mapping[str, Any]) -> list[str]:
    """The dotted names of settings in ``patch`` that may not be overridden."""
    found = [key for key in patch if key in NOT_OVERRIDABLE]
    for path in NOT_OVERRIDABLE_PATHS:
        node: Any = patch
        for part in path:
            node = node.get(part) if isinstance(node, Mapping) else None
        if node is not None:
            found.append(".".join(path))
    return found
