"""benchmarks/bench_kinds.py: the word pairs behind contrast_similarity, and the table it prints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from benchmarks.bench_kinds import CUTS, PAIRS, shares

ROOT = Path(__file__).resolve().parents[2]


def test_a_higher_cut_leaves_out_more_of_both_lists() -> None:
    pairs = yaml.safe_load(PAIRS.read_text())
    assert len(pairs["same"]) == len(pairs["other"]) == 50
    assert len({tuple(p) for p in pairs["same"]} & {tuple(p) for p in pairs["other"]}) == 0
    found = [shares(pairs, cut) for cut in CUTS]
    assert found == sorted(found) and found[0] != found[-1]
    assert shares(pairs, 0.0) == (0.0, 0.0) and shares(pairs, 1.01) == (1.0, 1.0)


def test_it_prints_the_shipped_cut() -> None:
    done = subprocess.run(
        [sys.executable, "benchmarks/bench_kinds.py"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "<- shipped" in done.stdout and done.stdout.startswith("50 same-kind pairs, 50 other-kind pairs")
