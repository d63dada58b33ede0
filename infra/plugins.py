"""Processor plugins travel in the Lambda layer, so the plugin that runs under ``serve`` runs deployed.

The plugins are the distributions installed here that declare entry points in ``agentic_memory.processors``
(except this project). Each one's top-level packages (``top_level.txt``, else its entry points' modules) are
copied as installed, with a ``.dist-info`` holding its ``METADATA`` and ``entry_points.txt``, under ``python/``:
on Lambda, ``importlib.metadata`` finds them in ``/opt/python`` exactly as it did here. Their own requirements
(extras left out) are installed into the layer by pip for Lambda's platform, beside the runtime's.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib.metadata import Distribution, entry_points
from pathlib import Path

GROUP = "agentic_memory.processors"
HOST = "agentic-memory"
SKIPPED_PARTS = frozenset({"__pycache__"})
SKIPPED_SUFFIXES = (".pyc", ".pyo")


@dataclass(frozen=True)
class Plugin:
    name: str
    version: str
    files: tuple[tuple[str, bytes], ...]  # (name in the layer zip, content), sorted
    requirements: tuple[str, ...]


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _top_levels(dist: Distribution) -> list[str]:
    listed = (dist.read_text("top_level.txt") or "").split()
    if listed:
        return sorted(set(listed))
    modules = {entry.value.split(":", 1)[0].split(".", 1)[0] for entry in dist.entry_points if entry.group == GROUP}
    return sorted(modules)


def _module_files(top: str) -> Iterator[tuple[str, Path]]:
    """(path under python/, file) for an importable top-level package or module, as installed."""
    spec = importlib.util.find_spec(top)
    if spec is None:
        raise FileNotFoundError(f"plugin module {top!r} is not importable here")
    if spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            base = Path(location)
            for dirpath, dirnames, filenames in os.walk(base):
                dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_PARTS)
                for filename in sorted(filenames):
                    if not filename.endswith(SKIPPED_SUFFIXES):
                        path = Path(dirpath) / filename
                        yield (Path(top) / path.relative_to(base)).as_posix(), path
    elif spec.origin:
        yield Path(spec.origin).name, Path(spec.origin)


def _requirements(dist: Distribution) -> tuple[str, ...]:
    kept = []
    for requirement in dist.requires or []:
        name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
        if "extra" in requirement.split(";", 1)[-1] and ";" in requirement:
            continue
        if name and _normalized(name.group(1)) == HOST:
            continue
        kept.append(requirement.strip())
    return tuple(sorted(set(kept)))


def plugin(dist: Distribution) -> Plugin:
    """One installed plugin distribution, ready for the layer."""
    name, version = dist.metadata["Name"], dist.version
    info = f"python/{re.sub(r'[-_.]+', '_', name)}-{version}.dist-info"
    files: dict[str, bytes] = {}
    for meta in ("METADATA", "entry_points.txt", "top_level.txt"):
        text = dist.read_text(meta)
        if text is not None:
            files[f"{info}/{meta}"] = text.encode()
    for top in _top_levels(dist):
        for relative, path in _module_files(top):
            files[f"python/{relative}"] = path.read_bytes()
    return Plugin(name, version, tuple(sorted(files.items())), _requirements(dist))


def installed_plugins() -> list[Plugin]:
    """Every plugin distribution installed in this environment, by name."""
    found: dict[str, Distribution] = {}
    for entry in entry_points(group=GROUP):
        dist = entry.dist
        if dist is not None and _normalized(dist.metadata["Name"]) != HOST:
            found.setdefault(_normalized(dist.metadata["Name"]), dist)
    return [plugin(found[name]) for name in sorted(found)]


def plugins_digest(plugins: Sequence[Plugin]) -> str:
    """A hash of every plugin file's name and content (part of the layer's name)."""
    digest = hashlib.sha256()
    for item in plugins:
        for name, data in item.files:
            digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()[:16]


def plugin_requirements(plugins: Sequence[Plugin]) -> list[str]:
    return sorted({requirement for item in plugins for requirement in item.requirements}, key=str.lower)
