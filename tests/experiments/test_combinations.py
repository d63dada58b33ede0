"""Every combination of variants a caller can draw is checked when the service starts (``check_combinations``,
``ExperimentPlan``), however many experiments there are: two variants valid alone may not be valid together."""

from __future__ import annotations

from typing import Any

import pytest

from shared.config.models import AgentType
from shared.errors import ConfigError
from shared.experiments.plan import PRECHECK_LIMIT, ExperimentPlan, check_combinations
from shared.secrets import Secret

KEY = Secret("caller-ref-key-for-combination-tests")


def agent_type(experiments: dict[str, Any]) -> AgentType:
    return AgentType.model_validate({"provider": "generic", "experiments": experiments})


def conflicting(extra: int) -> dict[str, Any]:
    """``a:x`` stores summaries as ``lead``, ``b:y`` keeps only two types: fine alone, invalid together; ``extra``
    more experiments on the memory settings make 2**(2+extra) combinations."""
    lead = {"types": ["factual", "semantic", "lead"], "summary_type": "lead"}
    experiments: dict[str, Any] = {
        "a": {"variants": {"base": {"weight": 1}, "x": {"weight": 1, "overrides": {"memory": lead}}}},
        "b": {
            "variants": {
                "base": {"weight": 1},
                "y": {"weight": 1, "overrides": {"memory": {"types": ["factual", "semantic"]}}},
            }
        },
    }
    for n in range(extra):
        limit = {"memory": {"search_limit": 4}}
        experiments[f"e{n}"] = {"variants": {"p": {"weight": 1}, "q": {"weight": 1, "overrides": limit}}}
    return experiments


@pytest.mark.parametrize("extra", [0, 3, 8])  # 4, 32 and 1024 combinations
def test_variants_invalid_together_are_refused_at_start_up(extra: int) -> None:
    config = agent_type(conflicting(extra))
    with pytest.raises(ConfigError, match=r"variants together are not valid \(a: x, b: y"):
        check_combinations("t", config)
    with pytest.raises(ConfigError, match="variants together are not valid"):
        ExperimentPlan("t", config, KEY)


def test_experiments_on_separate_sections_are_checked_apart() -> None:
    """Twelve experiments on the response and one on memory: 8193 combinations, checked as 4096 + 2."""
    greeting = {"response": {"first_message": {"returning": "Welcome back, {caller_name}!"}}}
    experiments: dict[str, Any] = {
        f"r{n}": {"variants": {"p": {"weight": 1}, "q": {"weight": 1, "overrides": greeting}}} for n in range(12)
    }
    experiments["m"] = {
        "variants": {"p": {"weight": 1}, "q": {"weight": 1, "overrides": {"memory": {"search_limit": 5}}}}
    }
    config = agent_type(experiments)
    check_combinations("t", config)
    plan = ExperimentPlan("t", config, KEY)
    for n in range(200):
        plan.for_user(f"+1555555{n:04d}")


def test_a_group_too_large_to_check_is_refused_by_name() -> None:
    limit = {"memory": {"search_limit": 4}}
    experiments = {
        f"e{n}": {"variants": {"p": {"weight": 1}, "q": {"weight": 1, "overrides": limit}}}
        for n in range(PRECHECK_LIMIT.bit_length())
    }
    with pytest.raises(ConfigError, match=r"e0, e1, .* combinations of variants, more than the 4096"):
        check_combinations("t", agent_type(experiments))
