"""The serve benchmark's data: a seeded store of realistic callers, and the requests a platform would send.

Records are built the way the worker builds them (``memories_from_call`` over a normalized post-call event, with
their meaning vectors when the agent type has semantic search), so the store holds what a real deployment would:
summaries, extracted fields and the caller's own turns.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shared.auth.elevenlabs import ElevenLabsSignature
from shared.memory import embedding as embedding_module
from shared.memory import from_call
from shared.memory import manager as manager_module
from shared.memory import sqlite as sqlite_store
from shared.memory.embedding import with_vectors
from shared.memory.from_call import memories_from_call
from shared.memory.manager import MemoryManager
from shared.memory.models import Memory
from shared.memory.sqlite import SqliteMemoryStore
from shared.profile import load_profile
from shared.providers.base import PostCallEvent
from shared.secrets import Secret

SEED_VERSION = 1
MEMORIES_PER_CALL = 10  # a summary, three extracted fields and six caller turns
BATCH = 5000
NEW_CALLERS = 1_000_000  # post-call events during a run come from this many callers beyond the seeded ones

FIRST = (
    "Dana",
    "Alex",
    "Priya",
    "Marcus",
    "Elena",
    "Tomas",
    "Aisha",
    "Kenji",
    "Sofia",
    "Liam",
    "Noor",
    "Mateo",
    "Grace",
    "Omar",
    "Hana",
    "Diego",
    "Ruth",
    "Felix",
)
LAST = (
    "Whitfield",
    "Moreno",
    "Okafor",
    "Lindqvist",
    "Tanaka",
    "Brennan",
    "Castillo",
    "Novak",
    "Haddad",
    "Kowalski",
    "Reyes",
    "Duarte",
    "Singh",
    "Abbott",
)
TIERS = ("basic", "silver", "gold", "premium", "vip")
ISSUES = (
    "double charge on the March invoice",
    "router drops the connection every evening",
    "replacement card never arrived",
    "cannot log in to the mobile app after the update",
    "delivery left at the wrong address",
    "wants to cancel the annual plan",
    "warranty claim for a cracked screen",
    "appointment needs to move to next week",
)
PLACES = ("Portland", "Austin", "Denver", "Raleigh", "Madison", "Tucson", "Boise", "Albany")
PETS = ("Biscuit", "Pepper", "Milo", "Juniper", "Rocket", "Olive")
TURNS = (
    "Hi, this is {first}, I'm calling about my account.",
    "The problem is the {issue}.",
    "I live in {place}, so evenings are easier for a technician visit.",
    "Please text me rather than email, I never check my inbox.",
    "My dog {pet} has surgery on Monday so I can't do mornings this week.",
    "I've been a customer for {years} years and this never happened before.",
    "Can you make a note that I prefer afternoon appointments after 2pm?",
    "My order number ends in {order}.",
)
SUMMARIES = (
    "{first} {last} called about the {issue}. The agent opened a ticket and promised a callback within two days.",
    "Returning customer {first} {last} followed up on the {issue}; it is resolved and they were satisfied.",
    "{first} {last} asked about the {issue}. Escalated to tier two; the caller prefers text updates.",
)
QUERIES = (
    "what was the last issue",
    "preferred contact method",
    "appointment preferences afternoon",
    "dog surgery",
    "order number",
    "where does the caller live",
    "invoice double charge",
    "how long a customer",
)


RECALL_QUESTIONS = 5_000
"""How many distinct questions the recall mode draws: fixed, so that a set added to ``benchmarks/recall`` does not
make each round's run colder and heavier than the last (5,850 were drawn when blind24 joined)."""


def recall_questions(count: int = RECALL_QUESTIONS) -> tuple[str, ...]:
    """``count`` distinct questions of the recall sets (``benchmarks/recall``), in a fixed shuffled order: thousands of
    questions worded as agents' LLMs word them, so the query and word-similarity caches cannot hold the whole load."""
    import yaml

    found = [
        question["q"]
        for path in sorted((Path(__file__).parent / "recall").glob("*.yaml"))
        for caller in (yaml.safe_load(path.read_text()) or {}).get("callers", [])
        for question in caller["questions"]
    ]
    random.Random(11).shuffle(found)
    return tuple(dict.fromkeys(found))[:count]


def caller_number(index: int) -> str:
    """Invented E.164 numbers in the 555 range, one per benchmark caller."""
    return f"+1555{5_000_000 + index:07d}"


def formatted(number: str, variant: int) -> str:
    """The same number as platforms send it: E.164, spaced, dashed, national."""
    area, exchange, line = number[2:5], number[5:8], number[8:]
    forms = (number, f"+1 {area} {exchange} {line}", f"+1-{area}-{exchange}-{line}", f"({area}) {exchange}-{line}")
    return forms[variant % len(forms)]


@dataclass(frozen=True)
class Persona:
    first: str
    last: str
    issue: str
    place: str
    pet: str
    tier: str
    years: int
    order: int

    @classmethod
    def random(cls, rng: random.Random) -> Persona:
        return cls(
            first=rng.choice(FIRST),
            last=rng.choice(LAST),
            issue=rng.choice(ISSUES),
            place=rng.choice(PLACES),
            pet=rng.choice(PETS),
            tier=rng.choice(TIERS),
            years=rng.randint(1, 15),
            order=rng.randint(1000, 9999),
        )

    def fill(self, template: str) -> str:
        return template.format(**self.__dict__)

    def turns(self, rng: random.Random, count: int = 6) -> list[str]:
        return [self.fill(t) for t in rng.sample(TURNS, count)]


def caller_memories(
    index: int, per_caller: int, manager: MemoryManager, rng: random.Random, now: datetime
) -> list[Memory]:
    """``per_caller`` memories from a few past calls (within every type's retention, so all are live)."""
    persona = Persona.random(rng)
    user_id = caller_number(index)
    memories: list[Memory] = []
    for call in range(math.ceil(per_caller / MEMORIES_PER_CALL)):
        event = PostCallEvent(
            idempotency_key=f"post_call_transcription:conv_seed_{index:06d}_{call}",
            event_type="post_call_transcription",
            ingest=True,
            caller=user_id,
            conversation_id=f"conv_seed_{index:06d}_{call}",
            occurred_at=now - timedelta(days=rng.randint(1, 80), minutes=rng.randint(0, 1440)),
            summary=persona.fill(rng.choice(SUMMARIES)),
            fields={
                "caller_name": f"{persona.first} {persona.last}",
                "account_status": persona.tier,
                "issue": persona.issue,
            },
            caller_turns=persona.turns(rng),
            outcome="success",
        )
        memories += memories_from_call(event, user_id, manager, received_at=now)
    return memories[:per_caller]


def seed_store(
    path: Path,
    *,
    agent_type: str,
    callers: int,
    per_caller: int,
    config_path: Path | None = None,
    progress: Callable[[int], None] = lambda done: None,
) -> int:
    """Write ``callers x per_caller`` memories into a new store at ``path``; returns how many were added."""
    profile = load_profile(agent_type, config_path)
    store = SqliteMemoryStore(path)
    manager = MemoryManager(store, profile.name, profile.config.memory)
    rng = random.Random(20_240_601)
    now = datetime.now(UTC)
    added, batch = 0, []
    try:
        for index in range(callers):
            batch += caller_memories(index, per_caller, manager, rng, now)
            if len(batch) >= BATCH or index == callers - 1:
                added += store.add(with_vectors(batch) if manager.embeds else batch)
                batch = []
                progress(index + 1)
        store.compact()
    finally:
        store.close()
    return added


def store_fingerprint() -> str:
    """Changes whenever the code that decides what a seeded store holds changes, so a stale cache is never used."""
    digest = hashlib.sha256(str(SEED_VERSION).encode())
    for module in (sqlite_store, from_call, manager_module, embedding_module, sys.modules[__name__]):
        digest.update(Path(str(module.__file__)).read_bytes())
    config = Path(__file__).resolve().parents[1] / "config" / "agent_types.json"
    if config.exists():
        digest.update(config.read_bytes())
    return digest.hexdigest()[:12]


def prepare_data_dir(
    data_dir: Path,
    cache_dir: Path | None,
    *,
    agent_type: str,
    callers: int,
    per_caller: int,
    log: Callable[[str], None] = print,
) -> float:
    """A fresh data dir holding the seeded store, copied from a cache when one matches. Returns seeding seconds."""
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / "memories.db"
    name = f"memories-{agent_type}-{callers}x{per_caller}-{store_fingerprint()}.db"
    cached = cache_dir / name if cache_dir else None
    if cached is not None and cached.exists():
        log(f"using the seeded store cached at {cached}")
        shutil.copyfile(cached, target)
        return 0.0
    started = time.perf_counter()
    step = max(1, callers // 10)

    def progress(done: int) -> None:
        if done % step < BATCH // max(per_caller, 1) or done == callers:
            log(f"  seeded {done:,}/{callers:,} callers")

    building = target.with_suffix(".building")
    for leftover in (building, Path(f"{building}-wal"), Path(f"{building}-shm")):
        leftover.unlink(missing_ok=True)
    seed_store(building, agent_type=agent_type, callers=callers, per_caller=per_caller, progress=progress)
    building.replace(target)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        for stale in cached.parent.glob(f"memories-{agent_type}-{callers}x{per_caller}-*.db"):
            stale.unlink(missing_ok=True)  # seeded by older code: never used again
        shutil.copyfile(target, cached.with_suffix(".tmp"))
        cached.with_suffix(".tmp").replace(cached)
    return time.perf_counter() - started


class RequestFactory:
    """Bodies and headers for each endpoint; post-call bodies are distinct, freshly signed events."""

    def __init__(
        self,
        callers: int,
        *,
        workspace_key: str,
        hmac_key: str,
        run_id: str,
        seed: int = 7,
        queries: tuple[str, ...] = QUERIES,
    ) -> None:
        self._callers = callers
        self._queries = queries
        self._workspace = {"x-workspace-key": workspace_key, "content-type": "application/json"}
        self._signer = ElevenLabsSignature(Secret(hmac_key))
        self._run = run_id
        self._rng = random.Random(seed)
        self._templates = [self._post_call_template(Persona.random(self._rng)) for _ in range(32)]

    def _caller(self, i: int) -> str:
        return caller_number((i * 7919) % self._callers)  # a stride over every caller, not a hot few

    def _new_caller(self, i: int) -> str:
        """Post-call events come from callers outside the seeded set: the store the reads measure stays as seeded."""
        return caller_number(self._callers + i % NEW_CALLERS)

    def client_data(self, i: int) -> tuple[bytes, dict[str, str]]:
        body = {
            "caller_id": formatted(self._caller(i), i),
            "agent_id": "agent_bench_0001",
            "called_number": "+15555550100",
            "call_sid": f"CA{self._run}{i:08d}",
        }
        return json.dumps(body).encode(), self._workspace

    def retrieve(self, i: int, *, query: str | None = None) -> tuple[bytes, dict[str, str]]:
        body = {
            "query": query or self._queries[i % len(self._queries)],
            "caller_id": self._caller(i),
            "conversation_id": f"conv_{self._run}_{i}",
        }
        return json.dumps(body).encode(), self._workspace

    def post_call(self, i: int) -> tuple[bytes, dict[str, str]]:
        template = self._templates[i % len(self._templates)]
        body = (
            template.replace("__CONVERSATION__", f"conv_{self._run}_{i:08d}")
            .replace("__CALLER__", self._new_caller(i))
            .replace('"__STARTED__"', str(int(time.time()) - 120))
            .encode()
        )
        signature = self._signer.sign(body, int(time.time()))
        return body, {"elevenlabs-signature": signature, "content-type": "application/json"}

    @staticmethod
    def _post_call_template(persona: Persona) -> str:
        rng = random.Random(persona.order)
        transcript: list[dict[str, Any]] = []
        for second, turn in enumerate(persona.turns(rng)):
            transcript.append({"role": "agent", "message": "Thanks, go on.", "time_in_call_secs": second * 10})
            transcript.append({"role": "user", "message": turn, "time_in_call_secs": second * 10 + 4})

        def collected(name: str, value: str) -> dict[str, Any]:
            return {"data_collection_id": name, "value": value, "json_schema": {"type": "string"}, "rationale": "Said."}

        event = {
            "type": "post_call_transcription",
            "event_timestamp": "__STARTED__",
            "data": {
                "agent_id": "agent_bench_0001",
                "conversation_id": "__CONVERSATION__",
                "status": "done",
                "transcript": transcript,
                "metadata": {
                    "start_time_unix_secs": "__STARTED__",
                    "call_duration_secs": 96,
                    "phone_call": {
                        "type": "twilio",
                        "direction": "inbound",
                        "agent_number": "+15555550100",
                        "external_number": "__CALLER__",
                    },
                },
                "analysis": {
                    "call_successful": "success",
                    "transcript_summary": persona.fill(SUMMARIES[persona.order % len(SUMMARIES)]),
                    "data_collection_results": {
                        "caller_name": collected("caller_name", f"{persona.first} {persona.last}"),
                        "account_status": collected("account_status", persona.tier),
                        "issue": collected("issue", persona.issue),
                    },
                },
                "conversation_initiation_client_data": {"dynamic_variables": {"system__caller_id": "__CALLER__"}},
            },
        }
        return json.dumps(event)
