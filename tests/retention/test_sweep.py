"""Must show 3 (behaviour): memories past retention are never returned and the sweep deletes them; archived
events go after the archive retention; the sweep is idempotent and reports what it deleted, on both backends."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.config.loader import DEFAULT_CONFIG_PATH
from shared.config.models import MemoryConfig
from shared.ingest.local import FileArchive
from shared.ingest.ports import ArchivedEvent
from shared.memory.models import Memory
from shared.retention import RetentionSweeper
from tests.analytics.seeded import Clock, clocked_runtime
from tests.conftest import CALLER, TEST_SECRETS, elevenlabs_post_call, sign_elevenlabs
from tests.memory.conftest import STORE_FACTORIES

ADMIN = {"X-Admin-Key": TEST_SECRETS["ADMIN_API_KEY"]}
WORKSPACE = {"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}
AGENT = "elevenlabs_customer_support"  # retention: default 365 days, semantic 90, issue 730


def remember_one_call(local: Any) -> None:
    event = elevenlabs_post_call(user_turns=("My dog Biscuit has surgery on Monday.", "Please call after 2pm."))
    event["data"]["analysis"]["data_collection_results"]["issue_type"] = {"value": "rescheduling"}
    body = json.dumps(event).encode()
    assert local.call("POST", "/post-call", body, {"ElevenLabs-Signature": sign_elevenlabs(body)}).status == 200
    local.drain()


def visible(local: Any) -> dict[str, Any]:
    """Everything a platform or an operator can read about the caller."""
    pre = json.loads(local.call("POST", "/client-data", {"caller_id": CALLER}, WORKSPACE).body)["dynamic_variables"]
    tool = json.loads(local.call("POST", "/retrieve", {"query": "Biscuit surgery", "user_id": CALLER}, WORKSPACE).body)
    listing = json.loads(local.call("GET", f"/admin/users/{CALLER}/memories", b"", ADMIN).body)
    insights = json.loads(local.call("GET", f"/analytics/users/{CALLER}", b"", ADMIN).body)
    return {
        "context": pre["memory_context"],
        "tool": [m["text"] for m in tool["memories"]],
        "types": sorted(m["type"] for m in listing["memories"]),
        "by_type": insights["memories_by_type"],
    }


def test_memories_past_retention_are_never_returned_then_swept(tmp_path: Path) -> None:
    clock = Clock(datetime.now(UTC))
    local = clocked_runtime(tmp_path, clock=clock)
    remember_one_call(local)
    store = local.runtime.store
    types = visible(local)["types"]
    kept = Counter(types)
    assert kept["semantic"] == 2 and kept["issue"] == 1 and kept["factual"] >= 2  # summary, caller name, ...
    assert any("Biscuit" in text for text in visible(local)["tool"])

    clock.advance(days=91)  # the caller's turns (semantic, 90 days) are past retention but not yet swept
    seen = visible(local)
    assert seen["types"] == sorted(t for t in types if t != "semantic") and "semantic" not in seen["by_type"]
    # the tool may still find a live memory of another kind; never an expired turn
    assert not any("Biscuit" in text for text in seen["tool"]) and "Biscuit" not in seen["context"]
    assert store.count() == len(types)  # still on disk until the sweep
    assert local.runtime.sweep() == {"memories": 2, "archived_events": 0}
    assert store.count() == len(types) - 2
    assert local.runtime.sweep() == {"memories": 0, "archived_events": 0}  # idempotent

    clock.advance(days=365 - 91)  # the factual ones (default, 365 days) go
    assert local.runtime.sweep() == {"memories": kept["factual"], "archived_events": 0}
    assert visible(local)["types"] == ["issue"]

    clock.advance(days=730 - 365)  # the issue (730 days) and, at the longest retention, the archived event
    assert local.runtime.sweep() == {"memories": 1, "archived_events": 1}
    assert visible(local)["types"] == [] and store.count() == 0
    assert list(local.runtime.archive.entries()) == []
    assert local.runtime.sweep() == {"memories": 0, "archived_events": 0}


def test_archive_retention_is_configurable_and_only_this_agent_types_events_go(tmp_path: Path) -> None:
    config = json.loads(DEFAULT_CONFIG_PATH.read_text())
    config["agent_types"][AGENT]["memory"]["archive_retention_days"] = 7
    path = tmp_path / "agent_types.json"
    path.write_text(json.dumps(config))
    clock = Clock(datetime.now(UTC))
    local = clocked_runtime(tmp_path / "data", clock=clock, config_path=path)
    remember_one_call(local)
    types = visible(local)["types"]
    archive = local.runtime.archive
    other = ArchivedEvent("other:1", b"{}", clock.now - timedelta(days=900), "elevenlabs_sales_agent")
    assert archive.put_if_absent(other)

    clock.advance(days=6, hours=23)
    assert local.runtime.sweep() == {"memories": 0, "archived_events": 0}
    clock.advance(hours=2)
    assert local.runtime.sweep() == {"memories": 0, "archived_events": 1}
    assert [entry.key for entry in archive.entries()] == ["other:1"]
    assert len(visible(local)["types"]) == len(types)  # memories keep their own retention


@pytest.mark.parametrize("backend", sorted(STORE_FACTORIES))
def test_the_sweeper_on_every_backend(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    now = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
    store = STORE_FACTORIES[backend](request, tmp_path)
    archive = FileArchive(tmp_path / "archive")
    try:
        store.add([
            Memory("live", CALLER, AGENT, "factual", "Still here", now - timedelta(days=1), now + timedelta(days=1)),
            Memory("forever", CALLER, AGENT, "factual", "No expiry", now - timedelta(days=1), None),
            Memory("gone1", CALLER, AGENT, "factual", "Past it", now - timedelta(days=9), now - timedelta(days=1)),
            Memory("gone2", CALLER, "other", "factual", "Past it too", now - timedelta(days=9), now),
        ])  # fmt: skip
        archive.put_if_absent(ArchivedEvent("old", b"{}", now - timedelta(days=366), AGENT))
        archive.put_if_absent(ArchivedEvent("new", b"{}", now - timedelta(days=364), AGENT))
        sweeper = RetentionSweeper(store, archive, AGENT, MemoryConfig(), clock=lambda: now)
        assert sweeper.run().as_dict() == {"memories": 2, "archived_events": 1}
        assert sweeper.run().as_dict() == {"memories": 0, "archived_events": 0}
        assert sorted(m.id for m in store.get_all(CALLER, AGENT, now=now)) == ["forever", "live"]
        assert [entry.key for entry in archive.entries()] == ["new"]
    finally:
        store.close()


class BucketArchive(FileArchive):
    """A deployed archive: its bucket's lifecycle rule expires events, and the sweeper may not list it."""

    lifecycle_managed = True

    def entries(self) -> Any:
        raise AssertionError("the sweeper's role may not list the bucket")


def test_a_lifecycle_managed_archive_is_left_to_its_lifecycle_and_the_report_says_so(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    now = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
    store = STORE_FACTORIES["sqlite"](request, tmp_path)
    archive = BucketArchive(tmp_path / "archive")
    archive.put_if_absent(ArchivedEvent("old", b"{}", now - timedelta(days=3000), AGENT))
    try:
        store.add(
            [Memory("gone", CALLER, AGENT, "factual", "Past it", now - timedelta(days=9), now - timedelta(days=1))]
        )
        report = RetentionSweeper(store, archive, AGENT, MemoryConfig(), clock=lambda: now).run()
        assert report.as_dict() == {"memories": 1, "archived_events": 0, "archive_lifecycle_managed": True}
        assert archive.get("old").body == b"{}"  # the bucket's rule, not the sweep, expires it
    finally:
        store.close()
