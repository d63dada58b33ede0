"""A seeded dataset of known shape, and a runtime whose clock the test holds.

Every text in ``TEXTS`` carries the topics a reader finds in it, written by hand (never computed by the
matcher), so the expected figures are computed independently of the code under test.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.ingest.local import FileArchive, LocalWorker, SqliteQueue
from shared.memory.models import Memory
from shared.runtime import build_runtime
from shared.secrets import EnvSecrets
from shared.settings import Settings
from tests.conftest import TEST_SECRETS, LocalRuntime

NOW = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)
AGENT = "elevenlabs_customer_support"
TYPES = ("factual", "semantic", "preference", "issue")

TEXTS: tuple[tuple[str, frozenset[str]], ...] = (
    ("Asked about a late payment on the March invoice", frozenset({"billing"})),
    ("The app shows an error when logging in", frozenset({"technical"})),
    ("Wants to change the password on her account", frozenset({"account"})),
    ("Interested in the premium service upgrade", frozenset({"product"})),
    ("Thanked the agent for the help", frozenset({"support"})),
    ("Prefers afternoon appointments", frozenset()),
    ("Her order arrived broken and she needs help", frozenset({"product", "technical", "support"})),
    ("My dog Biscuit has surgery on Monday", frozenset()),
    ("Billing question about a double charge", frozenset({"billing", "support"})),
    ("Tissue samples were mislabelled at the clinic", frozenset()),
    ("Nothing is working since the update, not working at all", frozenset({"technical"})),
    ("Called to contact the billing team about costs", frozenset({"support", "billing"})),
)


@dataclass(frozen=True)
class SeedCall:
    caller: str
    conversation_id: str
    started_at: datetime
    memories: tuple[tuple[str, str, frozenset[str]], ...]  # (type, text, topics)


@dataclass
class Dataset:
    calls: list[SeedCall]
    loose: list[Memory] = field(default_factory=list)  # live memories without a conversation id
    hidden: list[Memory] = field(default_factory=list)  # expired, or another agent type: must never count

    def callers(self) -> list[str]:
        return sorted({c.caller for c in self.calls} | {m.user_id for m in self.loose})

    def memories(self) -> list[Memory]:
        out = []
        for call in self.calls:
            for index, (kind, text, _) in enumerate(call.memories):
                out.append(
                    Memory(
                        id=f"{call.conversation_id}-{index}",
                        user_id=call.caller,
                        agent_type=AGENT,
                        type=kind,
                        text=text,
                        created_at=call.started_at,
                        expires_at=NOW + timedelta(days=300),
                        conversation_id=call.conversation_id,
                    )
                )
        return out + self.loose + self.hidden


def build_dataset(seed: int = 20300301, callers: int = 9) -> Dataset:
    rng = random.Random(seed)
    numbers = [f"+1555555{100 + i:04d}" for i in range(callers)]
    calls = []
    for n, caller in enumerate(numbers):
        for k in range(rng.randint(1, 7)):
            days_ago = rng.uniform(0.01, 75)
            memories = tuple((rng.choice(TYPES), text, topics) for text, topics in rng.sample(TEXTS, rng.randint(1, 4)))
            calls.append(SeedCall(caller, f"conv-{n}-{k}", NOW - timedelta(days=days_ago), memories))
    loose = [
        Memory("loose-1", numbers[0], AGENT, "factual", "Prefers email about the invoice", NOW - timedelta(days=2)),
    ]
    hidden = [
        Memory(  # past retention: never returned, never counted
            "expired-1", numbers[1], AGENT, "factual", "Old billing question", NOW - timedelta(days=400),
            expires_at=NOW - timedelta(days=1), conversation_id="conv-old",
        ),
        Memory(  # another agent type in the same store
            "other-agent-1", numbers[2], "elevenlabs_sales_agent", "lead", "Budget for the product order",
            NOW - timedelta(days=1), expires_at=NOW + timedelta(days=30), conversation_id="conv-sales",
        ),
        Memory(  # a caller known only to another agent type
            "other-agent-2", "+15555559999", "elevenlabs_sales_agent", "lead", "Interested in a purchase",
            NOW - timedelta(days=1), expires_at=NOW + timedelta(days=30), conversation_id="conv-sales-2",
        ),
    ]  # fmt: skip
    return Dataset(calls=calls, loose=loose, hidden=hidden)


class Clock:
    """A clock the test moves."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def clocked_runtime(
    data_dir: Path,
    *,
    agent_type: str = AGENT,
    clock: Callable[[], datetime],
    secrets: dict[str, str] | None = None,
    config_path: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> LocalRuntime:
    """``environ`` selects another memory backend (``MEMORY_BACKEND``, ``MEM0_HOST``); the embedded one by default."""
    settings = Settings.from_environ(environ or {}, agent_type=agent_type, data_dir=data_dir, config_path=config_path)
    queue = SqliteQueue(data_dir / "queue.db")
    runtime = build_runtime(
        settings,
        secrets=EnvSecrets(secrets if secrets is not None else TEST_SECRETS),
        archive=FileArchive(data_dir / "archive"),
        queue=queue,
        clock=clock,
    )
    worker = LocalWorker(queue, runtime.worker.process, max_attempts=3, backoff_seconds=0)
    return LocalRuntime(runtime, queue, worker, data_dir)
