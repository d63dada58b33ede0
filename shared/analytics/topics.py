"""Topic keywords: which topics a memory's text mentions (the agent type's table, the original's by default)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence


def _keyword_pattern(keyword: str) -> str:
    """A keyword starts a word; inner spaces match any whitespace ('not working' matches 'not  working')."""
    return r"(?<!\w)" + r"\s+".join(re.escape(part) for part in keyword.split())


class TopicMatcher:
    """Matches whole-word prefixes, case-insensitively: 'bill' finds 'billing', 'issue' never finds 'tissue'."""

    def __init__(self, topics: Mapping[str, Sequence[str]]) -> None:
        self._topics = [
            (name, re.compile("|".join(_keyword_pattern(k) for k in keywords if k.strip()), re.IGNORECASE))
            for name, keywords in topics.items()
            if any(k.strip() for k in keywords)
        ]

    def topics_of(self, text: str) -> list[str]:
        """The topics the text mentions, each once, in the table's order."""
        return [name for name, pattern in self._topics if pattern.search(text)]

    def count(self, texts: Iterable[str]) -> Counter[str]:
        """How many texts mention each topic."""
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(self.topics_of(text))
        return counts


def top(counts: Counter[str], limit: int) -> list[dict[str, object]]:
    """The most mentioned topics, most first, ties by name; topics never mentioned are left out."""
    ranked = sorted((item for item in counts.items() if item[1] > 0), key=lambda item: (-item[1], item[0]))
    return [{"topic": name, "memories": n} for name, n in ranked[:limit]]
