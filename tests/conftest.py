"""Fixtures every test area shares: the platforms' payloads, signing, a local runtime on a temp dir, and the gcloud
emulators (Firestore, Pub/Sub), started once per session for the tests that ask for them."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from shared.auth.elevenlabs import ElevenLabsSignature
from shared.config.loader import DEFAULT_CONFIG_PATH
from shared.http import Request, Response
from shared.ingest.local import FileArchive, LocalWorker, SqliteQueue
from shared.runtime import Runtime, build_runtime
from shared.secrets import EnvSecrets, Secret
from shared.settings import Settings
from tests.gcp_emulators import EMULATOR_HOST_VARIABLES, EmulatorPool

pytest_plugins = ["tests.browser"]  # the console's real-browser fixtures

PAYLOADS = Path(__file__).resolve().parent / "payloads"  # the handbook's examples (invented values) and our own

CALLER = "+15555550123"
OTHER_CALLER = "+15555550199"
TEST_SECRETS = {
    "ELEVENLABS_WORKSPACE_KEY": "test-workspace-key-0001",
    "ELEVENLABS_HMAC_KEY": "test-hmac-key-0001",
    "VAPI_SECRET": "test-vapi-secret-0001",
    "RETELL_API_KEY": "test-retell-key-0001",
    "GENERIC_API_KEY": "test-generic-key-0001",
    "ADMIN_API_KEY": "test-admin-key-0001",
    "PSEUDONYMIZATION_KEY": "test-pseudonym-key-0001-0123456789abcdef",
    "CALLER_REF_KEY": "test-caller-ref-key-0001-0123456789abcdef",
}


def load_payload(name: str) -> Any:
    """A platform payload from ``tests/payloads`` (copies of the handbook's reference examples, plus our own)."""
    return json.loads((PAYLOADS / f"{name}.json").read_text())


@pytest.fixture
def payload() -> Callable[[str], Any]:
    return lambda name: copy.deepcopy(load_payload(name))


def elevenlabs_post_call(
    *,
    caller: str | None = CALLER,
    conversation_id: str = "conv_test_0001",
    name: str | None = "Dana Whitfield",
    summary: str = "Dana called to move her cleaning to next week; prefers afternoon slots.",
    user_turns: tuple[str, ...] = ("I need to push it to next week.", "My dog Biscuit has surgery on Monday."),
    started: int | None = None,
) -> dict[str, Any]:
    """The reference post-call transcription, made current and varied where a test needs it."""
    event = copy.deepcopy(load_payload("elevenlabs_post_call_transcription"))
    data = event["data"]
    data["conversation_id"] = conversation_id
    data["metadata"]["start_time_unix_secs"] = started or int(time.time()) - 600
    event["event_timestamp"] = data["metadata"]["start_time_unix_secs"] + 100
    data["analysis"]["transcript_summary"] = summary
    if name is not None:
        data["analysis"]["data_collection_results"]["caller_name"] = {
            "data_collection_id": "caller_name",
            "value": name,
            "json_schema": {"type": "string"},
            "rationale": "The caller said their name.",
        }
    turns = [{"role": "agent", "message": "Hi, how can I help?", "time_in_call_secs": 0}]
    turns += [{"role": "user", "message": text, "time_in_call_secs": 5 + i} for i, text in enumerate(user_turns)]
    data["transcript"] = turns
    if caller is None:
        data["metadata"]["phone_call"] = None
        data["conversation_initiation_client_data"]["dynamic_variables"].pop("system__caller_id", None)
    else:
        data["metadata"]["phone_call"]["external_number"] = caller
        data["conversation_initiation_client_data"]["dynamic_variables"]["system__caller_id"] = caller
    return event


def sign_elevenlabs(body: bytes, *, key: str = TEST_SECRETS["ELEVENLABS_HMAC_KEY"], at: int | None = None) -> str:
    return ElevenLabsSignature(Secret(key)).sign(body, at if at is not None else int(time.time()))


@dataclass
class LocalRuntime:
    runtime: Runtime
    queue: SqliteQueue
    worker: LocalWorker
    data_dir: Path

    def call(
        self, method: str, path: str, body: bytes | dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> Response:
        raw = json.dumps(body).encode() if isinstance(body, dict) else (body or b"")
        return self.runtime.app.handle(Request.build(method, path, headers or {}, raw))

    def drain(self) -> None:
        self.worker.drain()


def pseudonymizing_config(directory: Path, agent_type: str = "elevenlabs_customer_support") -> Path:
    """A copy of the shipped config whose ``agent_type`` stores callers under pseudonyms (``identity.pseudonymize``)."""
    config = json.loads(DEFAULT_CONFIG_PATH.read_text())
    config["agent_types"][agent_type]["identity"] = {"pseudonymize": True}
    path = directory / "pseudonymizing.json"
    path.write_text(json.dumps(config))
    return path


def make_local_runtime(
    data_dir: Path, agent_type: str, secrets: dict[str, str] | None = None, *, config_path: Path | None = None
) -> LocalRuntime:
    settings = Settings.from_environ({}, agent_type=agent_type, data_dir=data_dir, config_path=config_path)
    queue = SqliteQueue(data_dir / "queue.db")
    runtime = build_runtime(
        settings,
        secrets=EnvSecrets(secrets if secrets is not None else TEST_SECRETS),
        archive=FileArchive(data_dir / "archive"),
        queue=queue,
    )
    worker = LocalWorker(queue, runtime.worker.process, max_attempts=3, backoff_seconds=0)
    return LocalRuntime(runtime, queue, worker, data_dir)


@pytest.fixture
def local_runtime(tmp_path: Path) -> Iterator[Callable[..., LocalRuntime]]:
    made: list[LocalRuntime] = []

    def make(
        agent_type: str = "elevenlabs_customer_support",
        secrets: dict[str, str] | None = None,
        *,
        config_path: Path | None = None,
    ) -> LocalRuntime:
        made.append(make_local_runtime(tmp_path / f"data-{len(made)}", agent_type, secrets, config_path=config_path))
        return made[-1]

    yield make
    for local in made:
        local.runtime.store.close()
        local.queue.close()


# the gcloud emulators -----------------------------------------------------------------------------------------------

_EMULATOR_POOL = pytest.StashKey[EmulatorPool]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Start the emulators the selected tests use now, so they boot while other tests run."""
    needed = {
        name
        for item in items
        for name in EMULATOR_HOST_VARIABLES
        if f"{name}_emulator" in getattr(item, "fixturenames", ())
    }
    pool = config.stash[_EMULATOR_POOL] = EmulatorPool(needed=needed)
    pool.start_needed()


def pytest_sessionfinish(session: pytest.Session) -> None:
    pool = session.config.stash.get(_EMULATOR_POOL, None)
    if pool is not None:
        pool.stop()


@pytest.fixture(scope="session")
def gcp_emulators(pytestconfig: pytest.Config) -> EmulatorPool:
    pool = pytestconfig.stash.get(_EMULATOR_POOL, None)
    if pool is None:  # collected without the hook (a plugin run): started on first use, stopped at session end
        pool = pytestconfig.stash[_EMULATOR_POOL] = EmulatorPool()
    return pool


def _emulator(pool: EmulatorPool, name: str) -> Iterator[str]:
    """The emulator's host, and its variable set for the session so every client of that service uses it."""
    host = pool.host(name)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(EMULATOR_HOST_VARIABLES[name], host)
        yield host


@pytest.fixture(scope="session")
def firestore_emulator(gcp_emulators: EmulatorPool) -> Iterator[str]:
    """``127.0.0.1:PORT`` of the session's Firestore emulator (``FIRESTORE_EMULATOR_HOST`` is set to it)."""
    yield from _emulator(gcp_emulators, "firestore")


@pytest.fixture(scope="session")
def pubsub_emulator(gcp_emulators: EmulatorPool) -> Iterator[str]:
    """``127.0.0.1:PORT`` of the session's Pub/Sub emulator (``PUBSUB_EMULATOR_HOST`` is set to it)."""
    yield from _emulator(gcp_emulators, "pubsub")
