"""The retention sweep over 100,000 memories on the embedded store, against inserting the same rows.

For each scenario a fresh SQLite store (WAL, secure_delete, FTS5: the real backend) gets ``--memories`` rows
over ``--callers`` callers, of which a fraction is past ``expires_at``; the baseline is the time ``add`` took
to insert them in the same run. The sweep is ``RetentionSweeper.run()`` (delete the expired rows and their
full-text postings, then compact: FTS merge and WAL checkpoint), plus an archive of ``--events`` files of
which the same fraction is past retention. A second sweep shows the idempotent no-op cost.

    python benchmarks/bench_sweep.py [--memories 100000] [--callers 5000] [--events 2000]

Target: the sweep over 100,000 memories under 10 s with every memory expired.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared.config.models import MemoryConfig  # noqa: E402
from shared.ingest.local import FileArchive  # noqa: E402
from shared.ingest.ports import ArchivedEvent  # noqa: E402
from shared.memory.models import Memory  # noqa: E402
from shared.memory.sqlite import SqliteMemoryStore  # noqa: E402
from shared.retention import RetentionSweeper  # noqa: E402

NOW = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
AGENT = "elevenlabs_customer_support"
TARGET_SECONDS = 10.0
WORDS = [
    *("invoice", "payment", "appointment", "afternoon", "dog", "surgery", "billing", "password", "account"),
    *("order", "delivery", "refund", "premium", "upgrade", "cancel", "schedule", "morning", "callback", "email"),
    *("address", "prefers", "spanish", "manager", "complaint"),
]


def memories(count: int, callers: int, expired_share: float, rng: random.Random) -> list[Memory]:
    rows = []
    for i in range(count):
        created = NOW - timedelta(days=rng.uniform(1, 400))
        expired = rng.random() < expired_share
        expires = NOW - timedelta(seconds=rng.uniform(1, 86_400 * 30)) if expired else NOW + timedelta(days=30)
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 18)))
        kind = rng.choice(["factual", "semantic"])
        rows.append(Memory(f"m{i}", f"+1555{i % callers:07d}", AGENT, kind, text, created, expires, f"conv-{i // 3}"))
    return rows


def scenario(label: str, count: int, callers: int, events: int, expired_share: float, seed: int) -> float:
    rng = random.Random(seed)
    rows = memories(count, callers, expired_share, rng)
    expected = sum(1 for m in rows if m.is_expired(NOW))
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteMemoryStore(Path(tmp) / "memories.db")
        archive = FileArchive(Path(tmp) / "archive")
        for n in range(events):
            old = rng.random() < expired_share
            received = NOW - timedelta(days=400 if old else 10)
            archive.put_if_absent(ArchivedEvent(f"event:{n}", b"{}", received, AGENT))
        started = time.perf_counter()
        for start in range(0, len(rows), 5000):  # the batch size a busy worker would reach
            store.add(rows[start : start + 5000])
        insert = time.perf_counter() - started
        sweeper = RetentionSweeper(store, archive, AGENT, MemoryConfig(), clock=lambda: NOW)
        started = time.perf_counter()
        report = sweeper.run()
        sweep = time.perf_counter() - started
        started = time.perf_counter()
        again = sweeper.run()
        noop = time.perf_counter() - started
        left = store.count()
        store.close()
    assert report.memories == expected and left == count - expected, (report, expected, left)
    assert again.memories == 0 and again.archived_events == 0
    print(
        f"{label:<28} {count:>8,} rows, {expected:>7,} expired | insert {insert:6.2f} s | sweep {sweep:6.2f} s "
        f"({report.memories:,} memories, {report.archived_events:,} events) | ratio sweep/insert {sweep / insert:5.2f} "
        f"| second sweep {noop * 1000:6.1f} ms"
    )
    return sweep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--memories", type=int, default=100_000)
    parser.add_argument("--callers", type=int, default=5_000)
    parser.add_argument("--events", type=int, default=2_000)
    args = parser.parse_args()
    worst = scenario("every memory expired", args.memories, args.callers, args.events, 1.0, 1)
    scenario("a tenth expired", args.memories, args.callers, args.events, 0.1, 2)
    scenario("none expired", args.memories, args.callers, args.events, 0.0, 3)
    verdict = "OK" if worst < TARGET_SECONDS else "OVER TARGET"
    print(f"worst sweep {worst:.2f} s against the target of {TARGET_SECONDS:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
