"""Finding processors: installed distributions' entry points in the group ``agentic_memory.processors``.

Discovery reads the installed distributions' metadata (``importlib.metadata``), so it runs only when an agent
type names a processor: a deployment without processors pays nothing at cold start.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from shared.config.models import AgentType
from shared.errors import ConfigError
from shared.processors.base import ENTRY_POINT_GROUP, STAGES

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint


def installed() -> dict[str, EntryPoint]:
    """Every installed processor by name (the first distribution found wins a duplicated name)."""
    from importlib.metadata import entry_points  # reads every distribution's metadata: only when asked

    found: dict[str, EntryPoint] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(entry.name, entry)
    return found


def named(config: AgentType) -> dict[str, set[str]]:
    """Processor name -> the stages that use it, in the agent type and in any variant's or rollout's overrides."""
    stages: dict[str, set[str]] = {}
    patches: list[Any] = [config.processors.model_dump()]
    patches += [v.overrides.get("processors") for e in config.experiments.values() for v in e.variants.values()]
    patches += [rollout.overrides.get("processors") for rollout in config.rollouts.values()]
    for patch in patches:
        for stage in STAGES:
            names = patch.get(stage) if isinstance(patch, dict) else None
            for name in names if isinstance(names, list) else []:
                stages.setdefault(str(name), set()).add(stage)
    return stages


def unknown(config: AgentType, available: Iterable[str]) -> list[str]:
    """The processors the agent type names that are not installed."""
    known = set(available)
    return sorted(name for name in named(config) if name not in known)


def load(agent_type: str, config: AgentType) -> dict[str, Any]:
    """Instantiate every processor the agent type names. Raises ``ConfigError`` for one that is not installed, that
    fails to load, or that lacks the method of a stage it is enabled for."""
    wanted = named(config)
    if not wanted:
        return {}
    available = installed()
    missing = unknown(config, available)
    if missing:
        listed = ", ".join(sorted(available)) or "none"
        raise ConfigError(
            f"agent type {agent_type!r}: unknown processor {', '.join(repr(n) for n in missing)} "
            f"(installed in entry-point group {ENTRY_POINT_GROUP}: {listed})"
        )
    instances: dict[str, Any] = {}
    for name, stages in sorted(wanted.items()):
        try:
            instance = available[name].load()()
        except Exception as exc:
            raise ConfigError(
                f"agent type {agent_type!r}: processor {name!r} failed to load ({type(exc).__name__})"
            ) from exc
        for stage in sorted(stages):
            if not callable(getattr(instance, stage, None)):
                raise ConfigError(
                    f"agent type {agent_type!r}: processor {name!r} has no {stage}() but is enabled there"
                )
        instances[name] = instance
    return instances
