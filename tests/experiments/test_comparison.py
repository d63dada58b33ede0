"""The comparison's verdicts on known data: a real difference is called meaningful, too little data is not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.analytics.variants import variant_analytics
from shared.memory.models import Memory

NOW = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)


def calls(variant: str, callers: int, returning: int, *, prefix: str) -> list[Memory]:
    """``callers`` callers of the variant, the first ``returning`` of them with two calls, the rest with one."""
    memories = []
    for n in range(callers):
        for index in range(2 if n < returning else 1):
            memories.append(
                Memory(
                    id=f"{prefix}-{n}-{index}",
                    user_id=f"{prefix}{n}",
                    agent_type="t",
                    type="factual",
                    text="summary",
                    created_at=NOW - timedelta(days=index + 1),
                    conversation_id=f"c-{prefix}-{n}-{index}",
                    metadata={"variant": f"recall:{variant},other:on", "tool_calls": 1, "tool_found": index},
                )
            )
    return memories


def test_a_large_difference_is_meaningful_and_said_so() -> None:
    memories = calls("control", 200, 20, prefix="a") + calls("long", 200, 120, prefix="b")
    report = variant_analytics(memories, agent_type="t", declared={"recall": ["control", "long"]}, now=NOW, days=30)
    recall = next(e for e in report["experiments"] if e["experiment"] == "recall")
    rate = next(r for r in recall["comparisons"] if r["metric"] == "returning_caller_rate")
    assert rate["meaningful"] and rate["difference"] == 0.5 and rate["low"] > 0
    assert "returning-caller rate: long differs from control by +50.0 points" in recall["summary"]
    degraded = next(r for r in recall["comparisons"] if r["metric"] == "degraded_pre_calls")
    assert not degraded["meaningful"] and "no data yet" in degraded["statement"]
    # an undeclared experiment found on the memories is listed too, after the declared ones
    assert [e["experiment"] for e in report["experiments"]] == ["recall", "other"]
    assert report["experiments"][1]["declared"] is False


def test_declared_variants_without_calls_are_shown_empty() -> None:
    report = variant_analytics([], agent_type="t", declared={"recall": ["control", "long"]}, now=NOW, days=30)
    [recall] = report["experiments"]
    assert [v["callers"] for v in recall["variants"]] == [0, 0]
    assert recall["variants"][0]["returning_caller_rate"]["value"] is None
    assert "meaningful yet" in recall["summary"]


def test_calls_outside_the_period_are_left_out() -> None:
    memories = calls("control", 5, 5, prefix="a")
    report = variant_analytics(memories, agent_type="t", declared={"recall": ["control"]}, now=NOW, days=1)
    control = report["experiments"][0]["variants"][0]
    assert (control["calls"], control["callers"]) == (0, 0)
    report = variant_analytics(memories, agent_type="t", declared={"recall": ["control"]}, now=NOW, days=2)
    control = report["experiments"][0]["variants"][0]
    assert (control["calls"], control["callers"], control["returning_caller_rate"]["count"]) == (5, 5, 5)


def test_an_ended_experiment_keeps_one_baseline_whatever_order_its_memories_come_in() -> None:
    """Removed from the config, an experiment is compared by variant name (a rollout: ``on`` first), not by which
    memory was read first: the baseline, and the sign of every difference, no longer flip between reports."""
    memories = calls("long", 30, 10, prefix="b") + calls("control", 30, 3, prefix="a")
    for ordered in (memories, memories[::-1]):
        report = variant_analytics(ordered, agent_type="t", declared={}, now=NOW, days=30)
        by_name = {e["experiment"]: e for e in report["experiments"]}
        assert by_name["recall"]["declared"] is False and by_name["recall"]["baseline"] == "control"
        assert [v["variant"] for v in by_name["recall"]["variants"]] == ["control", "long"]
        assert by_name["other"]["baseline"] == "on"
    declared = variant_analytics(memories, agent_type="t", declared={"recall": ["long", "control"]}, now=NOW, days=30)
    assert next(e for e in declared["experiments"] if e["experiment"] == "recall")["baseline"] == "long"


def test_calls_per_caller_interval_never_runs_below_one_call() -> None:
    """Three callers with 1, 1 and 10 calls: the normal interval's lower end was -1.88 calls per caller, a figure
    no variant can have (each of its callers made at least one call)."""
    memories = [
        Memory(f"m-{caller}-{n}", caller, "t", "factual", "summary", NOW - timedelta(hours=n + 1),
               conversation_id=f"c-{caller}-{n}", metadata={"variant": "recall:control"})
        for caller, count in (("a", 1), ("b", 1), ("c", 10))
        for n in range(count)
    ]  # fmt: skip
    report = variant_analytics(memories, agent_type="t", declared={"recall": ["control"]}, now=NOW, days=30)
    [control] = report["experiments"][0]["variants"]
    figure = control["calls_per_caller"]
    assert (figure["value"], figure["count"], figure["of"]) == (4.0, 12, 3)
    assert figure["low"] == 1.0 and figure["high"] == round(4.0 + 5.8799, 4)
