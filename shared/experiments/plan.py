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

PRECHECK_LIMIT = 256  # combinations validated at start-up; beyond that, each the first time a caller needs it
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
        for combination in _prechecked(config):
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
    for combination in _prechecked(config):
        combined(agent_type, config, combination)


def _prechecked(config: AgentType) -> list[tuple[str, ...]]:
    choices = [list(e.variants) for e in config.experiments.values()] + [[ON, OFF] for _ in config.rollouts]
    if not choices or _product_size(choices) > PRECHECK_LIMIT:
        return []
    return [tuple(combination) for combination in itertools.product(*choices)]


def _product_size(choices: list[list[str]]) -> int:
    size = 1
    for options in choices:
        size *= len(options)
    return size
