"""A deployed GCP stack for tests: a versioned bucket, Pub/Sub fakes, and one runtime per function whose storage
client obeys only the conditioned grants ``infra.gcp_iam.storage_grants`` declares for it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import flask
from werkzeug.test import EnvironBuilder

from functions.gcp import entry as gcp
from infra.gcp_iam import storage_grants
from shared.runtime import Runtime
from shared.secrets import Secret
from tests.conftest import CALLER, elevenlabs_post_call
from tests.fakes.gcp_clients import FakePublisher, FakeSubscription
from tests.fakes.mem0_server import API_KEY, FakeMem0Server
from tests.functions.gcs_iam import Conditioned, VersionedStorage
from tests.functions.lambda_events import AGENT_TYPE, SECRET_VALUES, sign

BUCKET = "am-test-archive-am-test-project"
TOPIC = "projects/am-test-project/topics/am-test-ingest"
DEAD_LETTER = "projects/am-test-project/topics/am-test-ingest-dlq"
ADMIN = {"X-Admin-Key": SECRET_VALUES["ADMIN_API_KEY"]}
NAME_KEY = Secret(SECRET_VALUES["CALLER_REF_KEY"])


def grants(role: str, backend: str = "mem0") -> list[tuple[str, str]]:
    return [(g.bucket_role, g.condition(BUCKET)["expression"]) for g in storage_grants(backend) if g.role == role]


@dataclass
class Stack:
    storage: VersionedStorage
    publisher: FakePublisher
    environ: dict[str, str]
    data_dir: Path
    clients: dict[str, Conditioned] = field(default_factory=dict)
    built: list[Runtime] = field(default_factory=list)

    def runtime(self, role: str) -> Runtime:
        self.clients[role] = Conditioned(self.storage, grants(role))
        environ = {**self.environ, "AGENTIC_MEMORY_DATA_DIR": str(self.data_dir / role)}
        built = gcp.build(environ, storage_factory=lambda: self.clients[role], publisher_factory=lambda: self.publisher)
        self.built.append(built)
        return built

    def deliver(self, worker: Runtime) -> FakeSubscription:
        subscription = FakeSubscription(self.publisher, TOPIC, DEAD_LETTER, max_delivery_attempts=5)
        subscription.deliver(lambda event: gcp.serve_event(worker, event))
        return subscription

    def names(self, prefix: str = "events/") -> list[str]:
        return self.storage.names(BUCKET, prefix)

    def close(self) -> None:
        for runtime in self.built:
            runtime.store.close()

    def live(self, prefix: str) -> int:
        return sum(1 for name in set(self.names(prefix)) if self.storage.bucket(BUCKET).live(name))


def make_stack(data_dir: Path, mem0_url: str, *, caller_ref_key: str = SECRET_VALUES["CALLER_REF_KEY"]) -> Stack:
    environ = {
        "AGENT_TYPE": AGENT_TYPE,
        "MEMORY_BACKEND": "mem0",
        "MEM0_HOST": mem0_url,
        "ARCHIVE_BUCKET": BUCKET,
        "ARCHIVE_PREFIX": "events/",
        "MEM0_PENDING_PREFIX": "mem0-pending/",
        "PUBSUB_TOPIC": TOPIC,
        **SECRET_VALUES,  # Secret Manager secrets mounted as environment variables
        "MEM0_API_KEY": API_KEY,
        "CALLER_REF_KEY": caller_ref_key,
    }
    return Stack(VersionedStorage(BUCKET), FakePublisher(TOPIC, DEAD_LETTER), environ, data_dir)


def request(runtime: Runtime, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> Any:
    built = flask.Request(EnvironBuilder(path=path, method=method, data=body, headers=headers or {}).get_environ())
    return gcp.serve_request(runtime, built)


def post_call(http: Runtime, **call: Any) -> None:
    body = json.dumps(elevenlabs_post_call(**call)).encode()
    assert request(http, "POST", "/post-call", body, {"ElevenLabs-Signature": sign(body)}).status_code == 200


def returning(http: Runtime, caller: str = CALLER) -> dict[str, Any]:
    headers = {"X-Workspace-Key": SECRET_VALUES["ELEVENLABS_WORKSPACE_KEY"], "Content-Type": "application/json"}
    response = request(http, "POST", "/client-data", json.dumps({"caller_id": caller}).encode(), headers)
    variables: dict[str, Any] = json.loads(response.get_data())["dynamic_variables"]
    return variables


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def mem0_users(mem0: FakeMem0Server) -> set[str]:
    return {item["user_id"] for item in mem0.memories()}
