"""Experiments and gradual rollouts: sticky per-caller variants and the agent-type settings each one patches."""

from shared.experiments.assignment import bucket, pick_variant, rollout_on
from shared.experiments.plan import Assignment, ExperimentPlan

__all__ = ["Assignment", "ExperimentPlan", "bucket", "pick_variant", "rollout_on"]
