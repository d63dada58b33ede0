"""The GCP stack in its deployed shape on its default backend, Firestore: the three Cloud Functions targets of the
bundle's ``main.py`` under functions-framework, Firestore and Pub/Sub on the gcloud emulators, the archive on the
versioned Cloud Storage fake under each service account's conditioned bucket grants.

A signed post-call is archived and published; the push body reaches the worker, which writes the caller's
documents; the pre-call recognises the caller; the tool finds what only the transcript said; erasure leaves
nothing of the caller; the sweeper deletes what expired. Each function uses exactly the Firestore permissions its
custom role grants (``infra.gcp_firestore.FIRESTORE_PERMISSIONS``): no grant unused, none missing.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from functions.cold_start import ColdStart
from functions.gcp import entry as gcp
from functions.gcp.store import CALLERS, MEMORIES, FirestoreMemoryStore, document_id
from infra.gcp_firestore import FIRESTORE_PERMISSIONS
from infra.gcp_iam import storage_grants
from shared.http import Request
from shared.memory.models import Memory
from shared.runtime import Runtime
from tests.conftest import CALLER, OTHER_CALLER, elevenlabs_post_call
from tests.functions.firestore_calls import PermissionRecorder, record_permissions
from tests.functions.gcf_targets import target_app
from tests.functions.gcs_iam import Conditioned, VersionedStorage
from tests.functions.lambda_events import AGENT_TYPE, SECRET_VALUES, pre_call_body, sign
from tests.functions.pubsub_emulator import PubSubStack, create_stack
from tests.gcp_emulators import free_port

BUCKET = "am-test-archive-am-test-project"
DATABASE = "am-test-memories"
ADMIN = {"X-Admin-Key": SECRET_VALUES["ADMIN_API_KEY"]}
TOOL = {"X-Workspace-Key": SECRET_VALUES["ELEVENLABS_WORKSPACE_KEY"]}
ROLES = ("http", "worker", "sweeper")
PUSH = {"Content-Type": "application/json"}  # what a Pub/Sub push subscription sends


@dataclass
class Stack:
    pubsub: PubSubStack
    storage: VersionedStorage
    environ: dict[str, str]
    data_dir: Path
    monkeypatch: pytest.MonkeyPatch
    runtimes: dict[str, Runtime] = field(default_factory=dict)
    firestore: dict[str, PermissionRecorder] = field(default_factory=dict)
    targets: dict[str, Any] = field(default_factory=dict)

    def start(self) -> None:
        """A cold start per function: its own /tmp, its own storage grants, its own recorded Firestore client."""
        for role in ROLES:
            storage = Conditioned(
                self.storage, [(g.bucket_role, g.condition(BUCKET)["expression"]) for g in grants(role)]
            )
            environ = {**self.environ, "AGENTIC_MEMORY_DATA_DIR": str(self.data_dir / role)}
            runtime = gcp.build(environ, storage_factory=lambda s=storage: s)
            store = runtime.store
            assert isinstance(store, FirestoreMemoryStore)
            self.firestore[role] = record_permissions(store._db())
            self.runtimes[role] = runtime
        for role, kind in (("http", "http"), ("worker", "cloudevent"), ("sweeper", "http")):
            self.targets[role] = target_app(role, kind, self.monkeypatch).test_client()

    def call(self, role: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        """One invocation of ``role``'s deployed function (its warm instance)."""
        self.monkeypatch.setattr(gcp, "COLD_START", ColdStart(lambda: self.runtimes[role]))
        data = body if isinstance(body, bytes) else (b"" if body is None else json.dumps(body).encode())
        response = self.targets[role].open(path, method=method, data=data, headers=headers or {})
        answer = json.loads(response.get_data()) if response.is_json else response.get_data(as_text=True)
        return response.status_code, answer

    def deliver(self) -> list[int]:
        return [
            status for _, status in self.pubsub.deliver(lambda body: self.call("worker", "POST", "/", body, PUSH)[0])
        ]

    def documents(self, caller: str) -> list[dict[str, Any]]:
        reader = FirestoreMemoryStore(project=self.environ["FIRESTORE_PROJECT"], database=DATABASE)
        memories = reader._db().collection(CALLERS).document(document_id(caller)).collection(MEMORIES)
        return [snapshot.to_dict() for snapshot in memories.stream()]


def grants(role: str) -> list[Any]:
    return [grant for grant in storage_grants("firestore") if grant.role == role]


@pytest.fixture
def stack(
    firestore_emulator: str, pubsub_emulator: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Stack]:
    pubsub = create_stack()
    environ = {
        "AGENT_TYPE": AGENT_TYPE,
        "MEMORY_BACKEND": "firestore",
        "FIRESTORE_PROJECT": pubsub.project,
        "FIRESTORE_DATABASE": DATABASE,
        "ARCHIVE_BUCKET": BUCKET,
        "ARCHIVE_PREFIX": "events/",
        "PUBSUB_TOPIC": pubsub.topic,
        **SECRET_VALUES,  # Secret Manager secrets mounted as environment variables
    }
    made = Stack(pubsub, VersionedStorage(BUCKET), environ, tmp_path, monkeypatch)
    made.start()
    yield made
    for runtime in made.runtimes.values():
        runtime.store.close()


def post_call(stack: Stack, **details: Any) -> int:
    body = json.dumps(elevenlabs_post_call(**details)).encode()
    return int(stack.call("http", "POST", "/post-call", body, {"ElevenLabs-Signature": sign(body)})[0])


def pre_call(stack: Stack, caller: str = CALLER) -> dict[str, Any]:
    body = {**json.loads(pre_call_body()), "caller_id": caller}
    status, answer = stack.call("http", "POST", "/client-data", body, TOOL)
    assert status == 200
    variables: dict[str, Any] = answer["dynamic_variables"]
    return variables


def test_a_call_is_remembered_recalled_erased_and_swept_on_firestore(stack: Stack) -> None:
    # post-call: verified, archived, published; the pushed worker writes the caller's documents
    assert post_call(stack, conversation_id="conv_gcp_1") == 200
    other = {"caller": OTHER_CALLER, "name": "Lee Other", "user_turns": ("Cancel my plan.",)}
    assert post_call(stack, conversation_id="conv_gcp_2", **other) == 200
    assert stack.documents(CALLER) == []  # nothing is written before the worker runs
    assert stack.deliver() == [200, 200]
    written = stack.documents(CALLER)
    assert len(written) >= 3 and stack.documents(OTHER_CALLER)
    assert {doc["agent_type"] for doc in written} == {AGENT_TYPE} and all(doc["user_id"] == CALLER for doc in written)
    stack.pubsub.publisher.publish(stack.pubsub.topic, b'{"key":"post_call_transcription:conv_gcp_1"}').result()
    assert stack.deliver() == [200]
    assert len(stack.documents(CALLER)) == len(written)  # a redelivered event changes nothing

    # pre-call: one query of the caller's documents recognises them
    seen = pre_call(stack)
    assert (seen["returning_caller"], seen["caller_name"]) == ("yes", "Dana Whitfield")
    assert pre_call(stack, "+15555550100")["returning_caller"] == "no"

    # the tool finds what only the caller said in the transcript (not in the summary); a memory stored before
    # vectors existed gets its vector kept on the first search (set_vectors, from the HTTP function)
    then = datetime.now(UTC) - timedelta(days=3)
    legacy = Memory(
        "legacy-1", CALLER, AGENT_TYPE, "factual", "Asked about gutter cleaning", then, then + timedelta(days=90)
    )
    stack.runtimes["worker"].store.add([legacy])
    assert next(doc for doc in stack.documents(CALLER) if doc["id"] == "legacy-1")["vector"] is None
    status, found = stack.call(
        "http", "POST", "/retrieve", {"query": "what is the dog called", "caller_id": CALLER}, TOOL
    )
    assert status == 200 and any("Biscuit" in memory["text"] for memory in found["memories"])
    assert next(doc for doc in stack.documents(CALLER) if doc["id"] == "legacy-1")["vector"]
    status, theirs = stack.call("http", "POST", "/retrieve", {"query": "Biscuit", "caller_id": OTHER_CALLER}, TOOL)
    assert status == 200 and not any("Biscuit" in memory["text"] for memory in theirs["memories"])

    status, report = stack.call("http", "GET", "/analytics/agent?days=7", headers=ADMIN)
    assert status == 200 and report["total_callers"] == 2

    # erasure: the memories at once (HTTP), then the archived events and the memories again (the worker's job)
    status, erased = stack.call("http", "DELETE", f"/admin/users/{CALLER}/memories", headers=ADMIN)
    assert status == 202 and erased["erased"]["memories"] == len(written) + 1
    assert stack.documents(CALLER) == []
    now = datetime.now(UTC)
    late = Memory("late-1", CALLER, AGENT_TYPE, "factual", "Written by a call in flight", now, now + timedelta(days=9))
    stack.runtimes["worker"].store.add([late])  # a worker mid-event when the erasure came: the job removes it too
    assert stack.deliver() == [200]
    names = [name for name in stack.storage.names(BUCKET, "events/") if not name.startswith("events/erased/")]
    assert names == ["events/post_call_transcription:conv_gcp_2"]  # beside the record of when it was erased
    assert stack.documents(CALLER) == [] and pre_call(stack)["returning_caller"] == "no"
    assert pre_call(stack, OTHER_CALLER)["returning_caller"] == "yes"

    # the sweeper: what expired goes now, without waiting for Firestore's TTL (up to 24 h late; the emulator never)
    stale = Memory("stale-1", OTHER_CALLER, AGENT_TYPE, "factual", "Old news", now - timedelta(days=40), now)
    stack.runtimes["worker"].store.add([stale])
    status, swept = stack.call("sweeper", "POST", "/")
    assert status == 200 and swept == {"memories": 1, "archived_events": 0, "archive_lifecycle_managed": True}
    assert "stale-1" not in {doc["id"] for doc in stack.documents(OTHER_CALLER)} and stack.documents(OTHER_CALLER)
    assert stack.pubsub.dead_letters() == []

    # each function used exactly the Firestore permissions its custom role grants
    assert {role: stack.firestore[role].used for role in ROLES} == {
        role: set(permissions) for role, permissions in FIRESTORE_PERMISSIONS.items()
    }


def test_the_emulators_push_reaches_the_worker_served_by_functions_framework(stack: Stack) -> None:
    """The stack's push subscription for real: the emulator POSTs the push body to the worker over HTTP."""
    stack.monkeypatch.setattr(gcp, "COLD_START", ColdStart(lambda: stack.runtimes["worker"]))
    app = target_app("worker", "cloudevent", stack.monkeypatch)
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        stack.pubsub.push_subscription(f"http://127.0.0.1:{server.server_port}/")
        body = json.dumps(elevenlabs_post_call(conversation_id=f"conv_push_{uuid.uuid4().hex[:6]}")).encode()
        request = Request.build("POST", "/post-call", {"ElevenLabs-Signature": sign(body)}, body)
        assert stack.runtimes["http"].app.handle(request).status == 200  # the served app is the worker's alone
        wait_for(lambda: len(stack.documents(CALLER)) >= 3, timeout=30)
    finally:
        server.shutdown()
    assert stack.pubsub.pull(stack.pubsub.subscription)  # the pull subscription got its copy; the push one is done
    assert pre_call(stack)["returning_caller"] == "yes"


def wait_for(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
