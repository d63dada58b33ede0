"""Topic keywords: whole-word prefixes, case-insensitive, configurable per agent type."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.analytics.topics import TopicMatcher, top
from shared.config.models import DEFAULT_TOPICS, AgentType, AnalyticsConfig

DEFAULT = TopicMatcher(DEFAULT_TOPICS)


@pytest.mark.parametrize(
    ("text", "topics"),
    [
        ("BILLING issue with my Invoice", ["billing", "technical"]),
        ("Tissue samples", []),
        ("rebilled twice", []),
        ("it is not   working", ["technical"]),
        ("nothing working", []),
        ("Helpful agent; contacted support", ["support"]),
        ("", []),
    ],
)
def test_default_table(text: str, topics: list[str]) -> None:
    assert DEFAULT.topics_of(text) == topics


def test_an_agent_type_brings_its_own_table() -> None:
    config = AgentType.model_validate(
        {"provider": "generic", "analytics": {"topics": {"scheduling": ["reschedul", "appointment"], "pets": ["dog"]}}}
    ).analytics
    matcher = TopicMatcher(config.topics)
    assert matcher.topics_of("Wants to reschedule the appointment for her dog") == ["scheduling", "pets"]
    assert matcher.topics_of("Billing question") == []
    assert AgentType(provider="generic").analytics.topics == DEFAULT_TOPICS


def test_topics_rank_by_count_then_name_and_drop_zeroes() -> None:
    counts = DEFAULT.count(["invoice", "error", "password", "invoice and help", "bug"])
    assert top(counts, 2) == [{"topic": "billing", "memories": 2}, {"topic": "technical", "memories": 2}]
    assert [t["topic"] for t in top(counts, 10)] == ["billing", "technical", "account", "support"]


@pytest.mark.parametrize(
    "block",
    [
        {"topics": {"billing": []}},
        {"topics": {"billing": [""]}},
        {"engagement_medium_calls": 5, "engagement_high_calls": 5},
        {"top_topics": 0},
        {"unknown": 1},
    ],
)
def test_invalid_analytics_blocks_are_refused(block: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        AnalyticsConfig.model_validate(block)
