"""How the bundled model's word similarity separates another word for a kind from another kind.

``contrast_similarity`` (``shared.memory.ranking.another_kind``) leaves out a memory that says "life insurance" to a
question about "pet insurance" when "pet" and "life" are less alike than the cut. Each pair of
``benchmarks/recall/kinds.yaml`` is such a question's word and a memory's word: for each cut, the share of `same`
pairs that would lose a real answer and of `other` pairs whose misleading memory would be left out.

    .venv/bin/python benchmarks/bench_kinds.py
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml

from shared.memory.embedding import word_similarity
from shared.memory.ranking import RankSettings

PAIRS = Path(__file__).resolve().parent / "recall" / "kinds.yaml"
CUTS = (0.3, 0.35, 0.4, 0.45, 0.5)


def shares(pairs: dict[str, list[list[str]]], cut: float) -> tuple[float, float]:
    """(same-kind pairs under the cut, other-kind pairs under the cut), each a share of its list."""
    same = [word_similarity(a, b) < cut for a, b in pairs["same"]]
    other = [word_similarity(a, b) < cut for a, b in pairs["other"]]
    return sum(same) / len(same), sum(other) / len(other)


def main() -> int:
    pairs = yaml.safe_load(PAIRS.read_text())
    shipped = RankSettings().contrast_similarity
    print(f"{len(pairs['same'])} same-kind pairs, {len(pairs['other'])} other-kind pairs ({PAIRS.name})")
    print("cut    same kind left out (answers lost)    other kind left out (misleading avoided)")
    for cut in sorted({*CUTS, shipped}):
        lost, avoided = shares(pairs, cut)
        mark = "  <- shipped" if cut == shipped else ""
        print(f"{cut:<6} {lost:>10.0%} {avoided:>38.0%}{mark}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
