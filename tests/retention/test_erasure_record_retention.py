"""An erasure record outlives a short archive retention: it is what keeps an export written before the erasure from
bringing the caller back, and memories of the erased calls could be live in such a file for the longest memory
retention (730 days here, the issue type's), whatever ``archive_retention_days`` says of the raw transcripts (30
days here)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from shared.config.loader import DEFAULT_CONFIG_PATH
from shared.ingest.erasures import ERASED_PREFIX, ErasedCallers
from shared.memory.transfer import export_lines, import_lines
from tests.analytics.seeded import Clock, clocked_runtime
from tests.conftest import CALLER, TEST_SECRETS, elevenlabs_post_call, sign_elevenlabs

AGENT = "elevenlabs_customer_support"  # retention: default 365 days, semantic 90, issue 730
ADMIN = {"X-Admin-Key": TEST_SECRETS["ADMIN_API_KEY"]}


def short_archive_config(directory: Path, days: int = 30) -> Path:
    config = json.loads(DEFAULT_CONFIG_PATH.read_text())
    config["agent_types"][AGENT]["memory"]["archive_retention_days"] = days
    path = directory / "agent_types.json"
    path.write_text(json.dumps(config))
    return path


def test_an_export_read_back_after_the_archive_retention_does_not_bring_an_erased_caller_back(tmp_path: Path) -> None:
    clock = Clock(datetime.now(UTC))
    local = clocked_runtime(tmp_path / "data", clock=clock, config_path=short_archive_config(tmp_path))
    event = elevenlabs_post_call(user_turns=("My name is Odile Brandt and my meter reads 40213.",))
    body = json.dumps(event).encode()
    assert local.call("POST", "/post-call", body, {"ElevenLabs-Signature": sign_elevenlabs(body)}).status == 200
    local.drain()
    store, archive = local.runtime.store, local.runtime.archive
    exported = list(export_lines(store, AGENT, now=clock()))
    assert exported

    assert local.call("DELETE", f"/admin/users/{CALLER}/memories", b"", ADMIN).status == 200
    assert archive.keys_under(ERASED_PREFIX)

    clock.advance(days=31)  # past the archive retention, well within the memories' (90 to 730 days)
    local.runtime.sweep()
    assert archive.keys_under(ERASED_PREFIX)  # the raw bodies' retention does not end the erasure record
    report = import_lines(
        store, exported, now=clock(), erased=ErasedCallers(archive, local.runtime.service.identity.user_ref)
    )
    assert report.added == 0 and report.erased == len(exported)
    assert store.get_all(CALLER, AGENT, now=clock()) == []

    clock.advance(days=700)  # 731 days on, every memory the erased calls could have left has expired: the record may go
    assert local.runtime.sweep()["archived_events"] == 1
    assert not archive.keys_under(ERASED_PREFIX)
