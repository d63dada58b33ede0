"""One agent type's experiments and rollouts, resolved per caller: the variant label and the settings to use.

Built once per cold start. ``for_user`` costs one HMAC per experiment and a dictionary lookup: the agent type
with a combination of overrides applied is validated once and kept (there are few combinations).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from shared.config.models import AgentType, first_error
from shared.errors import ConfigError
from shared.experiments.assignment import bucket, pick_variant, rollout_on
from shared.secrets import Secret

# Combinations validated at start-up, per group of experiments and rollouts that change the same section of the
# agent type (``memory``, ``response``, ``processors``): sections are separate models, so only experiments that share
# one can be invalid together. A group with more combinations than this is a config error: left unchecked, a caller
# drawing a bad combination got a 500 before every call.
PRECHECK_LIMIT = 4096
ON, OFF = "on", "off"


@dataclass(frozen=True)
class Assignment:
    """A caller's variants (experiment or rollout name -> variant, ``on``/``off`` for rollouts) and their settings."""

    config: AgentType
    variants: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``experiment:variant`` pairs, comma-separated, sorted: what memories and the platform are given."""
        return ",".join(f"{name}:{variant}" for name, variant in sorted(self.variants.items()))


def parse_label(label: str) -> dict[str, str]:
    """The pairs of an ``Assignment.label`` (malformed parts are skipped)."""
    pairs = (part.split(":", 1) for part in label.split(",") if ":" in part)
    return {name: variant for name, variant in pairs if name and variant}


def declared_variants(config: AgentType) -> dict[str, list[str]]:
    """Experiment or rollout name -> its variants in order (a rollout's: ``on`` then ``off``)."""
    declared = {name: list(experiment.variants) for name, experiment in config.experiments.items()}
    declared.update({name: [ON, OFF] for name in config.rollouts})
    return declared


class ExperimentPlan:
    def __init__(self, agent_type: str, config: AgentType, key: Secret | None) -> None:
        """Raises ``ConfigError`` when experiments are declared without a key, or a combination is invalid."""
        self._agent_type = agent_type
        self._config = config
        self._key = key
        self._cache: dict[tuple[str, ...], AgentType] = {}
        self._plain = Assignment(config)
        if not self.active:
            return
        if not key:
            raise ConfigError(f"agent type {agent_type!r} runs experiments but secret CALLER_REF_KEY is not set")
        for combination in _prechecked(agent_type, config):
            self._settings(combination)

    @property
    def active(self) -> bool:
        return bool(self._config.experiments or self._config.rollouts)

    def for_user(self, user_id: str | None) -> Assignment:
        """The caller's variants; without experiments, or without a caller, the agent type as configured."""
        if not self.active or not user_id or self._key is None:
            return self._plain
        chosen: list[str] = []
        for name, experiment in self._config.experiments.items():
            weights = [(variant, spec.weight) for variant, spec in experiment.variants.items()]
            chosen.append(pick_variant(weights, bucket(self._key, f"variant:{name}", user_id)))
        for name, rollout in self._config.rollouts.items():
            chosen.append(ON if rollout_on(rollout.percent, bucket(self._key, f"rollout:{name}", user_id)) else OFF)
        names = [*self._config.experiments, *self._config.rollouts]
        return Assignment(self._settings(tuple(chosen)), dict(zip(names, chosen, strict=True)))

    def _settings(self, combination: tuple[str, ...]) -> AgentType:
        cached = self._cache.get(combination)
        if cached is None:
            cached = self._cache[combination] = combined(self._agent_type, self._config, combination)
        return cached


def combined(agent_type: str, config: AgentType, combination: tuple[str, ...]) -> AgentType:
    """The agent type with one combination's overrides laid over it (experiments' variants, then rollouts'
    ``on``/``off``). Raises ``ConfigError`` naming the variants when they are not valid together."""
    patches: list[dict[str, Any]] = []
    experiments = list(config.experiments.values())
    for experiment, variant in zip(experiments, combination, strict=False):
        patches.append(experiment.variants[variant].overrides)
    for rollout, state in zip(config.rollouts.values(), combination[len(experiments) :], strict=True):
        if state == ON:
            patches.append(rollout.overrides)
    try:
        return config.with_overrides([p for p in patches if p])
    except ValueError as exc:
        names = [*config.experiments, *config.rollouts]
        chosen = ", ".join(f"{name}: {variant}" for name, variant in zip(names, combination, strict=True))
        raise ConfigError(
            f"agent type {agent_type!r}: variants together are not valid ({chosen}): {first_error(exc)}"
        ) from None


def check_combinations(agent_type: str, config: AgentType) -> None:
    """What the service checks when it starts, without the key: each variant may be valid alone and two together
    not. Raises ``ConfigError``."""
    for combination in _prechecked(agent_type, config):
        combined(agent_type, config, combination)


def _prechecked(agent_type: str, config: AgentType) -> list[tuple[str, ...]]:
    """The combinations that decide whether every caller's settings are valid: within each group of experiments
    and rollouts that change a common section, all of their choices; elsewhere the choice that changes least.
    Raises ``ConfigError`` for a group too large to check."""
    choices = [list(e.variants) for e in config.experiments.values()] + [[ON, OFF] for _ in config.rollouts]
    patches = [[e.variants[v].overrides for v in e.variants] for e in config.experiments.values()]
    patches += [[r.overrides, {}] for r in config.rollouts.values()]
    plain = tuple(
        options[min(range(len(options)), key=lambda i: len(patches[n][i]))] for n, options in enumerate(choices)
    )
    names = [*config.experiments, *config.rollouts]
    found: dict[tuple[str, ...], None] = {}
    for group in _groups([{key for patch in options for key in patch} for options in patches]):
        size = 1
        for index in group:
            size *= len(choices[index])
        if size > PRECHECK_LIMIT:
            raise ConfigError(
                f"agent type {agent_type!r}: {', '.join(names[i] for i in group)} change the same settings in "
                f"{size} combinations of variants, more than the {PRECHECK_LIMIT} that can be checked; end some"
            )
        for picked in itertools.product(*(choices[index] for index in group)):
            combination = list(plain)
            for index, option in zip(group, picked, strict=True):
                combination[index] = option
            found[tuple(combination)] = None
    return list(found)


def _groups(sections: list[set[str]]) -> list[list[int]]:
    """Indices of the experiments (and rollouts) joined by a section they both change, directly or through others."""
    groups: list[tuple[set[str], list[int]]] = []
    for index, keys in enumerate(sections):
        joined = [group for group in groups if group[0] & keys]
        merged_keys, members = set(keys), [index]
        for group in joined:
            groups.remove(group)
            merged_keys |= group[0]
            members = group[1] + members
        groups.append((merged_keys, sorted(members)))
    return [members for _, members in groups]
