"""Analytics computed from the memories (never placeholders): per caller and per agent type."""

from shared.analytics.reports import Analytics
from shared.analytics.topics import TopicMatcher

__all__ = ["Analytics", "TopicMatcher"]
