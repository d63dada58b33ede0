"""Must show 2: erasing a caller leaves no memory, archived event, queue entry or analytics trace of them, and
nothing of theirs readable in the embedded store's files; other callers are untouched."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from tests.conftest import CALLER, OTHER_CALLER, TEST_SECRETS, elevenlabs_post_call, sign_elevenlabs

ADMIN = {"X-Admin-Key": TEST_SECRETS["ADMIN_API_KEY"]}
WORKSPACE = {"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}
PHRASE = "parrot Quixotica needs her wing clipped"
OTHER_PHRASE = "tortoise Wellesbury escaped again"


def post_call(local: Any, event: dict[str, Any]) -> None:
    body = json.dumps(event).encode()
    response = local.call("POST", "/post-call", body, {"ElevenLabs-Signature": sign_elevenlabs(body)})
    assert response.status == 200, response.body


def traces(caller: str, phrase: str) -> list[bytes]:
    """What must not be readable: the number in every spelling, the phrase, and its rarest word on its own
    (the full-text index keeps words, lowercased, apart from the text)."""
    digits = caller.lstrip("+")
    rare = max(phrase.split(), key=len).lower()
    return [caller.encode(), digits.encode(), digits[1:].encode(), phrase.encode(), rare.encode()]


def readable(data_dir: Path, needles: list[bytes]) -> dict[str, list[str]]:
    """Files (any of them: memories.db, -wal, -shm, queue.db, archive files) whose raw bytes hold a needle."""
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        raw = path.read_bytes().lower()
        hits = [n.decode() for n in needles if n.lower() in raw]
        if hits:
            found[str(path.relative_to(data_dir))] = hits
    return found


def seed(local: Any) -> None:
    post_call(local, elevenlabs_post_call(conversation_id="conv_a1", user_turns=(f"My {PHRASE}.", "Billing help.")))
    post_call(local, elevenlabs_post_call(conversation_id="conv_a2", summary="Dana asked about an invoice."))
    post_call(local, elevenlabs_post_call(caller=OTHER_CALLER, conversation_id="conv_b1", name="Lee Other",
                                          user_turns=(f"My {OTHER_PHRASE}.",)))  # fmt: skip
    local.drain()


def test_erasure_leaves_nothing_of_the_caller_and_everything_of_the_others(local_runtime: Any) -> None:
    local = local_runtime()
    seed(local)
    data_dir: Path = local.data_dir
    mine = local.runtime.service.manager.recent(CALLER)
    others = local.runtime.service.manager.recent(OTHER_CALLER)
    assert mine and others
    assert readable(data_dir, traces(CALLER, PHRASE))  # the check can see them before erasure

    response = local.call("DELETE", f"/admin/users/{CALLER}/memories", b"", ADMIN)
    assert response.status == 200
    assert json.loads(response.body) == {
        "caller": "+155***0123",
        "erased": {"memories": len(mine), "archived_events": 2, "queue_entries": 2},
    }

    # no memory, no archived event, no queue entry
    assert local.runtime.store.get_all(CALLER, "elevenlabs_customer_support", now=local.runtime.clock()) == []
    listing = json.loads(local.call("GET", f"/admin/users/{CALLER}/memories", b"", ADMIN).body)
    assert listing["memories"] == [] and listing["count"] == 0
    ref = local.runtime.service.identity.user_ref(CALLER)
    assert [e for e in local.runtime.archive.entries() if e.user_ref == ref] == []
    queued = [key for state in ("pending", "processing", "done", "dead") for key in local.queue.keys(state)]
    assert queued == ["post_call_transcription:conv_b1"]
    # no analytics trace
    insights = json.loads(local.call("GET", f"/analytics/users/{CALLER}", b"", ADMIN).body)
    assert insights["total_memories"] == 0 and insights["calls"] == 0
    agent = json.loads(local.call("GET", "/analytics/agent", b"", ADMIN).body)
    assert agent["total_callers"] == 1 and agent["calls"] == 1
    assert [row["caller"] for row in agent["most_active_callers"]] == ["+155***0199"]
    # the platforms see a new caller
    pre = json.loads(local.call("POST", "/client-data", {"caller_id": CALLER}, WORKSPACE).body)
    assert pre["dynamic_variables"]["returning_caller"] == "no"
    tool = json.loads(local.call("POST", "/retrieve", {"query": "parrot wing", "user_id": CALLER}, WORKSPACE).body)
    assert tool["memories"] == []
    # nothing readable in the raw bytes of any file of the data dir
    assert readable(data_dir, traces(CALLER, PHRASE)) == {}

    # the other caller is untouched, in the store, the archive and the files
    assert local.runtime.service.manager.recent(OTHER_CALLER) == others
    other_ref = local.runtime.service.identity.user_ref(OTHER_CALLER)
    assert len([e for e in local.runtime.archive.entries() if e.user_ref == other_ref]) == 1
    assert set(readable(data_dir, [OTHER_PHRASE.encode()])) >= {"memories.db"}

    # erasing again erases nothing and fails nothing
    again = json.loads(local.call("DELETE", f"/admin/users/{CALLER}/memories", b"", ADMIN).body)
    assert again["erased"] == {"memories": 0, "archived_events": 0, "queue_entries": 0}


def test_an_event_still_queued_at_erasure_never_becomes_a_memory(local_runtime: Any) -> None:
    local = local_runtime()
    post_call(local, elevenlabs_post_call(conversation_id="conv_late", user_turns=(f"My {PHRASE}.",)))
    response = local.call("DELETE", f"/admin/users/{re.sub(r'[^0-9]', '', CALLER)}/memories", b"", ADMIN)
    assert json.loads(response.body)["erased"] == {"memories": 0, "archived_events": 1, "queue_entries": 1}
    local.drain()
    assert local.runtime.service.manager.recent(CALLER) == []
    assert local.runtime.worker.process("post_call_transcription:conv_late") == 0  # a late redelivery finds nothing
    assert readable(local.data_dir, traces(CALLER, PHRASE)) == {}


def test_any_spelling_of_the_number_erases_the_same_caller(local_runtime: Any) -> None:
    local = local_runtime()
    seed(local)
    response = local.call("DELETE", "/admin/users/%2B1%20(555)%20555-0123/memories", b"", ADMIN)
    assert json.loads(response.body)["erased"]["archived_events"] == 2
    assert local.runtime.service.manager.recent(CALLER) == []


def test_a_call_resent_after_the_erasure_is_not_remembered_nor_kept(local_runtime: Any) -> None:
    """A platform's late retry of an erased caller's call (signed anew) finds them erased; a later call does not."""
    local = local_runtime()
    seed(local)
    assert local.call("DELETE", f"/admin/users/{CALLER}/memories", b"", ADMIN).status == 200
    old_call = elevenlabs_post_call(conversation_id="conv_a1", user_turns=(f"My {PHRASE}.", "Billing help."))
    post_call(local, old_call)
    local.drain()
    assert local.runtime.service.manager.recent(CALLER) == []
    assert readable(local.data_dir, traces(CALLER, PHRASE)) == {}  # nor its body in the archive
    pre = json.loads(local.call("POST", "/client-data", {"caller_id": CALLER}, WORKSPACE).body)
    assert pre["dynamic_variables"]["returning_caller"] == "no"

    post_call(local, elevenlabs_post_call(conversation_id="conv_a3", started=int(time.time()) + 5))
    local.drain()
    assert {m.conversation_id for m in local.runtime.service.manager.recent(CALLER)} == {"conv_a3"}


def test_an_erasure_while_the_worker_writes_leaves_nothing(local_runtime: Any) -> None:
    """The erasure lands between the worker's read of the event and its write: what it wrote goes too."""
    local = local_runtime()
    post_call(local, elevenlabs_post_call(conversation_id="conv_race", user_turns=(f"My {PHRASE}.",)))
    service = local.runtime.service
    write = service.remember

    def erased_meanwhile(*args: Any, **kwargs: Any) -> int:
        assert local.call("DELETE", f"/admin/users/{CALLER}/memories", b"", ADMIN).status == 200
        return write(*args, **kwargs)

    service.remember = erased_meanwhile  # type: ignore[method-assign]
    assert local.runtime.worker.process("post_call_transcription:conv_race") == 0
    assert service.manager.recent(CALLER) == []
    assert readable(local.data_dir, traces(CALLER, PHRASE)) == {}


def test_erasure_leaves_no_call_id_of_the_caller_in_any_file(local_runtime: Any) -> None:
    """The queue kept them: no ``secure_delete``, and the WAL was never checkpointed after its rows were removed, so
    ``queue.db`` and ``queue.db-wal`` still held the erased caller's call ids."""
    local = local_runtime()
    seed(local)
    mine = [b"conv_a1", b"conv_a2"]
    assert set(readable(local.data_dir, mine)) >= {"queue.db-wal"}  # the check can see them before erasure
    response = local.call("DELETE", f"/admin/users/{CALLER}/memories", b"", ADMIN)
    assert json.loads(response.body)["erased"]["queue_entries"] == 2
    assert readable(local.data_dir, mine) == {}
    assert set(readable(local.data_dir, [b"conv_b1"])) >= {"memories.db", "queue.db"}  # the other caller's are kept


def test_a_call_resent_after_the_erasure_leaves_no_call_id_in_any_file(local_runtime: Any) -> None:
    """A late retry of an erased call is forgotten by the worker: its queue row goes with it, not kept "done" a day."""
    local = local_runtime()
    seed(local)
    local.call("DELETE", f"/admin/users/{CALLER}/memories", b"", ADMIN)
    post_call(local, elevenlabs_post_call(conversation_id="conv_a1", user_turns=(f"My {PHRASE}.", "Billing help.")))
    local.drain()
    assert local.runtime.service.manager.recent(CALLER) == []
    assert readable(local.data_dir, [b"conv_a1"]) == {}


def test_without_a_time_a_resent_erased_call_is_forgotten_and_a_new_call_remembered(local_runtime: Any) -> None:
    """A post-call that carries no time of its own: the erasure knows the events it erased by their keys' hashes."""

    def timeless(conversation_id: str) -> dict[str, Any]:
        event = elevenlabs_post_call(conversation_id=conversation_id, user_turns=(f"My {PHRASE}.",))
        del event["event_timestamp"], event["data"]["metadata"]["start_time_unix_secs"]
        return event

    local = local_runtime()
    post_call(local, timeless("conv_t1"))
    local.drain()
    assert local.call("DELETE", f"/admin/users/{CALLER}/memories", b"", ADMIN).status == 200
    post_call(local, timeless("conv_t1"))  # resent after the erasure
    local.drain()
    assert local.runtime.service.manager.recent(CALLER) == []
    post_call(local, timeless("conv_t2"))  # a new call
    local.drain()
    assert {m.conversation_id for m in local.runtime.service.manager.recent(CALLER)} == {"conv_t2"}
    record = local.runtime.archive.get(f"erased/{local.runtime.service.identity.user_ref(CALLER)}").body
    assert b"conv_t1" not in record and b"5555550123" not in record  # hashes of the keys, never the keys


def test_an_erasure_sent_with_a_body_is_refused_and_erases_nothing(local_runtime: Any) -> None:
    """The admin routes take no body: garbage or 30 MB sent with a DELETE is a mistake, not an erasure."""
    local = local_runtime()
    seed(local)
    path = f"/admin/users/{CALLER}/memories"
    garbage = local.call("DELETE", path, b"{bad json", ADMIN)
    assert garbage.status == 400 and "takes no request body" in json.loads(garbage.body)["error"]
    huge = local.call("DELETE", path, b"x" * (30 * 1024 * 1024), ADMIN)
    assert huge.status == 413
    assert local.call("GET", "/admin/config", b"x" * (2 * 1024 * 1024), ADMIN).status == 413
    assert len(local.runtime.service.manager.recent(CALLER)) > 0  # nothing erased
    assert local.call("GET", "/admin/config", b"{}", ADMIN).status == 200  # a client library's "no body"
    assert local.call("DELETE", path, b"null", ADMIN).status in (200, 202)
    assert local.runtime.service.manager.recent(CALLER) == []
