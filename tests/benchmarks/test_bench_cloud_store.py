"""The cloud store benchmark runs end to end against a real ``moto_server`` (slow: it starts fresh interpreters)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_benchmark_counts_requests_and_compares_the_cold_start() -> None:
    out = subprocess.run(
        [sys.executable, "benchmarks/bench_cloud_store.py", "--runs", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    ).stdout
    assert '"dynamodb.Query": 1}' in out  # the pre-call and the tool: one Query each
    assert '"dynamodb.BatchWriteItem": 20, "dynamodb.Query": 1}' in out  # 500 memories: 20 batches of 25
    assert "from mem0 import MemoryClient (baseline)" in out and "target <= 0.4x" in out
