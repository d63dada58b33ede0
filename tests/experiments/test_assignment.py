"""Must show 1: over 10,000 invented callers, assignment is sticky across processes and matches the weights within
3 points; raising a rollout percentage only adds callers."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.config.models import AgentType
from shared.errors import ConfigError
from shared.experiments import ExperimentPlan, bucket, pick_variant, rollout_on
from shared.secrets import Secret

RAW_KEY = "test-caller-ref-key-0001-assignment-0123456789"
KEY = Secret(RAW_KEY)
CALLERS = [f"+1555555{n:04d}" for n in range(10_000)]  # invented numbers, all in the 555-55xx block
REPO = Path(__file__).resolve().parents[2]


def agent(**settings: object) -> AgentType:
    return AgentType.model_validate({"provider": "generic", **settings})


THREE_WAY = {"variants": {"a": {"weight": 50}, "b": {"weight": 30}, "c": {"weight": 20}}}


def test_weights_are_matched_within_three_points_over_ten_thousand_callers() -> None:
    plan = ExperimentPlan("t", agent(experiments={"greeting": THREE_WAY}), KEY)
    counts = Counter(plan.for_user(caller).variants["greeting"] for caller in CALLERS)
    shares = {name: counts[name] / len(CALLERS) for name in "abc"}
    assert abs(shares["a"] - 0.50) <= 0.03 and abs(shares["b"] - 0.30) <= 0.03 and abs(shares["c"] - 0.20) <= 0.03
    assert sum(counts.values()) == len(CALLERS)


def test_a_zero_weight_variant_gets_nobody_and_weights_need_not_sum_to_100() -> None:
    spec = {"variants": {"on": {"weight": 3}, "off": {"weight": 1}, "never": {"weight": 0}}}
    plan = ExperimentPlan("t", agent(experiments={"x": spec}), KEY)
    counts = Counter(plan.for_user(caller).variants["x"] for caller in CALLERS)
    assert counts["never"] == 0
    assert abs(counts["on"] / len(CALLERS) - 0.75) <= 0.03


ASSIGN_ELSEWHERE = """
import json, sys
from shared.config.models import AgentType
from shared.experiments import ExperimentPlan
from shared.secrets import Secret
config = AgentType.model_validate(json.loads(sys.argv[1]))
plan = ExperimentPlan("t", config, Secret(sys.argv[2]))
print(json.dumps([plan.for_user(c).label for c in json.loads(sys.stdin.read())]))
"""


def test_assignment_is_sticky_across_processes_with_different_hash_seeds() -> None:
    settings = {"provider": "generic", "experiments": {"greeting": THREE_WAY}, "rollouts": {"r": _rollout(37)}}
    here = ExperimentPlan("t", AgentType.model_validate(settings), KEY)
    expected = [here.for_user(caller).label for caller in CALLERS]
    for seed in ("1", "4242"):
        done = subprocess.run(
            [sys.executable, "-c", ASSIGN_ELSEWHERE, json.dumps(settings), RAW_KEY],
            input=json.dumps(CALLERS),
            capture_output=True,
            text=True,
            cwd=REPO,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
        )
        assert json.loads(done.stdout) == expected
    assert len(set(expected)) == 6  # every (variant, on/off) combination occurs


def test_the_bucket_is_a_keyed_hmac_fixed_across_releases() -> None:
    """Pinned: a change here would move callers between variants in running experiments."""
    for caller in CALLERS[:3]:
        digest = hmac.new(RAW_KEY.encode(), b"variant:greeting\x00" + caller.encode(), hashlib.sha256).digest()
        assert bucket(KEY, "variant:greeting", caller) == int.from_bytes(digest[:8], "big") / 2**64
    other = Secret("another-key-0123456789-0123456789-abc")
    assert bucket(other, "variant:greeting", CALLERS[0]) != bucket(KEY, "variant:greeting", CALLERS[0])
    assert bucket(KEY, "variant:other", CALLERS[0]) != bucket(KEY, "variant:greeting", CALLERS[0])


def _rollout(percent: float) -> dict[str, object]:
    return {"percent": percent, "overrides": {"memory": {"search_limit": 7}}}


def test_raising_a_rollout_only_adds_callers() -> None:
    previous: set[str] = set()
    for percent in (0, 1, 5, 10, 25, 26, 50, 75, 99, 100):
        plan = ExperimentPlan("t", agent(rollouts={"semantic": _rollout(percent)}), KEY)
        on = {caller for caller in CALLERS if plan.for_user(caller).variants["semantic"] == "on"}
        assert previous <= on, f"raising to {percent}% turned callers off"
        assert abs(len(on) / len(CALLERS) - percent / 100) <= 0.03
        assert all(plan.for_user(c).config.memory.search_limit == 7 for c in list(on)[:50])
        previous = on
    assert len(previous) == len(CALLERS)


@given(st.floats(0, 1, exclude_max=True), st.floats(0, 100), st.floats(0, 100))
def test_a_higher_percentage_is_a_superset(value: float, low: float, high: float) -> None:
    low, high = min(low, high), max(low, high)
    assert not rollout_on(low, value) or rollout_on(high, value)


@given(st.floats(0, 1, exclude_max=True), st.lists(st.floats(0.01, 100), min_size=1, max_size=6))
def test_every_value_lands_in_a_variant_with_weight(value: float, weights: list[float]) -> None:
    named = [(f"v{i}", w) for i, w in enumerate(weights)]
    assert pick_variant(named, value) in {name for name, _ in named}


def test_experiments_without_the_key_refuse_to_start() -> None:
    with pytest.raises(ConfigError, match="CALLER_REF_KEY"):
        ExperimentPlan("t", agent(experiments={"greeting": THREE_WAY}), None)


def test_without_experiments_or_a_caller_nothing_is_assigned() -> None:
    plain = agent()
    assert ExperimentPlan("t", plain, None).for_user(CALLERS[0]).label == ""
    running = ExperimentPlan("t", agent(experiments={"greeting": THREE_WAY}), KEY)
    assert running.for_user(None).variants == {}
