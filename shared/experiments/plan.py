"""One agent type's experiments and rollouts, resolved per caller: the variant label and the settings to use.

Built once per cold start. ``for_user`` costs one HMAC per experiment and a dictionary lookup: the agent type
with a combination of overrides applied is validated once and kept (there are few combinations).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from shared.config.models import AgentType
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
        choices = [list(e.variants) for e in config.experiments.values()] + [[ON, OFF] for _ in config.rollouts]
        if len(choices) and _product_size(choices) <= PRECHECK_LIMIT:
            for combination in itertools.product(*choices):
                self._settings(tuple(combination))

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
        if cached is not None:
            return cached
        patches: list[dict[str, Any]] = []
        experiments = list(self._config.experiments.values())
        for experiment, variant in zip(experiments, combination, strict=False):
            patches.append(experiment.variants[variant].overrides)
        for rollout, state in zip(self._config.rollouts.values(), combination[len(experiments) :], strict=True):
            if state == ON:
                patches.append(rollout.overrides)
        try:
            settings = self._config.with_overrides([p for p in patches if p])
        except ValueError as exc:
            raise ConfigError(
                f"agent type {self._agent_type!r}: variants {', '.join(combination)} together are not valid: {exc}"
            ) from None
        self._cache[combination] = settings
        return settings


def _product_size(choices: list[list[str]]) -> int:
    size = 1
    for options in choices:
        size *= len(options)
    return size
