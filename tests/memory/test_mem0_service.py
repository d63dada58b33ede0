"""The service on the mem0 backend (``MEMORY_BACKEND=mem0``): a Mem0 outage never delays or fails a call.

Must-show 3 of the Mem0 issue: with Mem0 stalled or answering 500, /client-data answers within the read
timeout plus 100 ms with a valid new-caller response, and post-call events are kept and land once Mem0 is back.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from shared.http import Request, Response
from shared.ingest.local import FileArchive, LocalWorker, SqliteQueue
from shared.memory.mem0 import Mem0MemoryStore
from shared.runtime import Runtime, build_runtime
from shared.secrets import EnvSecrets
from shared.settings import Settings
from tests.conftest import TEST_SECRETS, elevenlabs_post_call, load_payload, sign_elevenlabs
from tests.fakes import API_KEY, FakeMem0Server

READ_TIMEOUT = 0.3
BUDGET = READ_TIMEOUT + 0.1


@dataclass
class Deployed:
    runtime: Runtime
    queue: SqliteQueue
    worker: LocalWorker

    def pre_call(self) -> tuple[Response, float, dict[str, Any]]:
        body = json.dumps(load_payload("elevenlabs_client_data_request")).encode()
        headers = {"x-workspace-key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"], "content-type": "application/json"}
        started = time.perf_counter()
        response = self.runtime.app.handle(Request.build("POST", "/client-data", headers, body))
        elapsed = time.perf_counter() - started
        return response, elapsed, json.loads(response.body)["dynamic_variables"]

    def post_call(self, conversation_id: str = "conv_mem0_0001") -> Response:
        body = json.dumps(elevenlabs_post_call(conversation_id=conversation_id)).encode()
        headers = {"elevenlabs-signature": sign_elevenlabs(body), "content-type": "application/json"}
        return self.runtime.app.handle(Request.build("POST", "/post-call", headers, body))


def _worker_awaits_mem0(server: FakeMem0Server) -> bool:
    paths = [r.path for r in list(server.requests)]
    return "/v3/memories/add/" in paths and paths[-1] == "/v3/memories/" and paths.count("/v3/memories/") >= 2


@pytest.fixture
def server() -> Iterator[FakeMem0Server]:
    with FakeMem0Server() as fake:
        yield fake


@pytest.fixture
def deploy(server: FakeMem0Server, tmp_path: Path) -> Iterator[Callable[..., Deployed]]:
    made: list[Deployed] = []

    def make(*, max_attempts: int = 5, backoff: float = 0.05) -> Deployed:
        environ = {"MEMORY_BACKEND": "mem0", "MEM0_HOST": server.url, "MEM0_READ_TIMEOUT": str(READ_TIMEOUT)}
        data_dir = tmp_path / f"data-{len(made)}"
        settings = Settings.from_environ(environ, agent_type="elevenlabs_customer_support", data_dir=data_dir)
        queue = SqliteQueue(data_dir / "queue.db")
        runtime = build_runtime(
            settings,
            secrets=EnvSecrets({**TEST_SECRETS, "MEM0_API_KEY": API_KEY}),
            archive=FileArchive(data_dir / "archive"),
            queue=queue,
        )
        worker = LocalWorker(queue, runtime.worker.process, max_attempts=max_attempts, backoff_seconds=backoff)
        made.append(Deployed(runtime, queue, worker))
        return made[-1]

    yield make
    for deployed in made:
        deployed.runtime.store.close()
        deployed.queue.close()


def test_mem0_backend_is_wired_from_settings_and_remembers(deploy: Callable[..., Deployed]) -> None:
    deployed = deploy()
    assert isinstance(deployed.runtime.store, Mem0MemoryStore)
    assert deployed.post_call().status == 200
    deployed.worker.drain()
    response, _, variables = deployed.pre_call()
    assert response.status == 200
    assert variables["returning_caller"] == "yes"
    assert variables["caller_name"] == "Dana Whitfield"


@pytest.mark.parametrize("outage", ["stalled", "500"])
def test_pre_call_answers_new_caller_within_read_timeout(
    deploy: Callable[..., Deployed], server: FakeMem0Server, outage: str
) -> None:
    deployed = deploy()
    deployed.post_call()
    deployed.worker.drain()  # the caller is known to Mem0...
    if outage == "stalled":
        server.stall()
    else:
        server.fail_with = 500
    response, elapsed, variables = deployed.pre_call()  # ...but Mem0 cannot answer now
    assert response.status == 200
    assert elapsed < BUDGET
    assert variables["returning_caller"] == "no"
    assert json.loads(response.body)["type"] == "conversation_initiation_client_data"
    server.resume()
    server.fail_with = None
    assert deployed.pre_call()[2]["returning_caller"] == "yes"


def test_post_call_events_are_kept_while_mem0_is_down_and_land_when_it_is_back(
    deploy: Callable[..., Deployed], server: FakeMem0Server
) -> None:
    deployed = deploy(max_attempts=5, backoff=0.05)
    server.fail_with = 500
    assert deployed.post_call().status == 200  # accepted and archived: the platform is never told to resend
    deployed.worker.drain()
    assert deployed.queue.counts().get("pending") == 1
    assert server.memories() == []

    server.fail_with = None
    time.sleep(0.1)  # the queue's backoff
    deployed.worker.drain()
    assert deployed.queue.counts() == {"done": 1}
    assert deployed.pre_call()[2]["returning_caller"] == "yes"


def test_dead_lettered_event_lands_on_replay(deploy: Callable[..., Deployed], server: FakeMem0Server) -> None:
    deployed = deploy(max_attempts=1)
    server.fail_with = 500
    deployed.post_call()
    deployed.worker.drain()
    assert deployed.queue.counts() == {"dead": 1}
    server.fail_with = None
    for key in deployed.queue.keys("dead"):  # what `agentic-memory replay --dead` does
        deployed.queue.enqueue(key)
    deployed.worker.drain()
    assert deployed.queue.counts() == {"done": 1}
    assert deployed.pre_call()[2]["returning_caller"] == "yes"
    deployed.queue.enqueue(deployed.queue.keys("done")[0])  # a second replay adds nothing
    before = len(server.memories())
    deployed.worker.drain()
    assert len(server.memories()) == before


def test_caller_calling_back_while_mem0_processes_the_add_is_recognised(
    deploy: Callable[..., Deployed], server: FakeMem0Server
) -> None:
    deployed = deploy()
    server.hold_adds = True  # Mem0 accepted the adds (PENDING) but lists nothing yet
    deployed.post_call()
    draining = threading.Thread(target=deployed.worker.drain)
    draining.start()
    deadline = time.monotonic() + 5
    while not _worker_awaits_mem0(server):  # every add posted, the worker now polls until Mem0 lists them
        assert time.monotonic() < deadline
        time.sleep(0.01)
    response, _, variables = deployed.pre_call()
    assert response.status == 200
    assert variables["returning_caller"] == "yes"
    assert variables["caller_name"] == "Dana Whitfield"
    server.release_adds()
    draining.join(timeout=10)
    assert deployed.queue.counts() == {"done": 1}
    assert deployed.pre_call()[2]["returning_caller"] == "yes"


def test_a_revoked_key_is_told_from_an_outage_in_the_logs(
    server: FakeMem0Server, deploy: Callable[..., Deployed], caplog: pytest.LogCaptureFixture
) -> None:
    """A rotated or revoked MEM0_API_KEY made every call a "new caller" and every post-call a dead letter, logged
    as a bare "StoreUnavailable": nothing told the operator that Mem0 refused the key."""
    deployed = deploy(max_attempts=1)
    server.fail_with = 401
    caplog.set_level("WARNING")
    response, _, variables = deployed.pre_call()
    assert response.status == 200 and variables["returning_caller"] == "no"
    assert deployed.post_call().status == 200
    deployed.worker.drain()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "before a call" in logged and "mem0 answered HTTP 401" in logged
    assert "post-call event failed (attempt 1, StoreUnavailable: mem0 answered HTTP 401); dead-lettered" in logged
    assert API_KEY not in logged and "+1555" not in logged
