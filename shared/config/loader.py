"""Load ``agent_types.json``; every mistake is a ``ConfigError`` naming the file, the agent type and the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from shared.config.models import AgentType, AgentTypesFile
from shared.errors import ConfigError

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent.parent.parent / "config" / "agent_types.json"


def _describe(path: Path, exc: ValidationError) -> str:
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        loc = [str(part) for part in error["loc"]]
        if len(loc) >= 2 and loc[0] == "agent_types":
            where = f"agent type {loc[1]!r}: field {'.'.join(loc[2:]) or '(the agent type itself)'}"
        else:
            where = f"field {'.'.join(loc) or '(top level)'}"
        lines.append(f"{path}: {where}: {error['msg']}")
    return "\n".join(lines)


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object's members, refusing a name given twice: JSON keeps the last, so a second agent type of the same name
    silently replaced the first (its provider, secrets and retention with it)."""
    members: dict[str, Any] = {}
    for key, value in pairs:
        if key in members:
            raise _DuplicateKey(key)
        members[key] = value
    return members


def load_agent_types(path: str | Path | None = None) -> AgentTypesFile:
    """Parse and validate the whole file."""
    file = Path(path) if path else DEFAULT_CONFIG_PATH
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read the agent types file ({exc.strerror})") from exc
    try:
        data = json.loads(raw, object_pairs_hook=_unique)
    except _DuplicateKey as exc:
        raise ConfigError(
            f"{file}: {exc.key!r} is given twice in one object (JSON would keep only the last): an agent type's name, "
            "and each key within it, must be unique"
        ) from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{file}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from exc
    try:
        # strict: JSON has its types, and a value of another one is a mistake, not a guess ("search_limit": true was 1)
        return AgentTypesFile.model_validate(data, strict=True)
    except ValidationError as exc:
        raise ConfigError(_describe(file, exc)) from exc


def load_agent_type(name: str, path: str | Path | None = None) -> AgentType:
    """One agent type by name; an unknown name is an error, never a fallback to another type."""
    agent_types = load_agent_types(path).agent_types
    if name not in agent_types:
        file = Path(path) if path else DEFAULT_CONFIG_PATH
        raise ConfigError(f"{file}: unknown agent type {name!r}; known: {', '.join(sorted(agent_types))}")
    return agent_types[name]
