"""Field mapping: configured dot paths (``a.b.0.c``) tried in order, with defaults; nulls never crash it."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

_MISSING = object()


def lookup(payload: Any, path: str) -> Any:
    """The value at ``path`` or None; any null or wrong-typed step on the way gives None."""
    node = _walk(payload, path)
    return None if node is _MISSING else node


def _walk(payload: Any, path: str) -> Any:
    """The value at ``path``, None for an explicit null at its end, or ``_MISSING``."""
    node = payload
    for step in path.split("."):
        if node is None:
            return _MISSING
        if isinstance(node, Mapping):
            node = node.get(step, _MISSING)
        elif isinstance(node, list) and step.lstrip("-").isdigit():
            index = int(step)
            node = node[index] if -len(node) <= index < len(node) else _MISSING
        else:
            return _MISSING
        if node is _MISSING:
            return _MISSING
    return node


class FieldMapper:
    """Named fields of one hook, each a list of paths; the first path with a non-empty value wins."""

    def __init__(self, paths: Mapping[str, Sequence[str]]) -> None:
        self._paths = {name: list(candidates) for name, candidates in paths.items()}

    def maps(self, name: str) -> bool:
        """Whether the field has any path configured."""
        return bool(self._paths.get(name))

    def present(self, payload: Any, name: str) -> bool:
        """Whether any of the field's paths is in the payload, even empty or null (``"query": null`` is an LLM's
        empty argument, no ``query`` a tool set up without it)."""
        return any(_walk(payload, path) is not _MISSING for path in self._paths.get(name, ()))

    def get(self, payload: Any, name: str, default: Any = None) -> Any:
        for path in self._paths.get(name, ()):
            value = lookup(payload, path)
            if value is not None and value != "":
                return value
        return default

    def text(self, payload: Any, name: str) -> str | None:
        """The field as a stripped string, or None if absent, not a scalar, or a number JSON cannot hold (``1e999``
        reads as infinity: it is no caller "inf")."""
        value = self.get(payload, name)
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            return None
        if isinstance(value, float) and not math.isfinite(value):
            return None
        text = str(value).strip()
        return text or None
