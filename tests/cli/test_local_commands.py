"""The local commands: config validate/schema, memories list/search/erase, replay."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from functions.cli import app
from tests.conftest import (
    CALLER,
    TEST_SECRETS,
    elevenlabs_post_call,
    make_local_runtime,
    pseudonymizing_config,
    sign_elevenlabs,
)

runner = CliRunner()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in TEST_SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AGENT_TYPE", raising=False)
    return TEST_SECRETS


def remembered_store(data_dir: Path, conversation_id: str = "conv_cli_1", *, config_path: Path | None = None) -> Any:
    local = make_local_runtime(data_dir, "elevenlabs_customer_support", config_path=config_path)
    body = json.dumps(elevenlabs_post_call(conversation_id=conversation_id)).encode()
    assert local.call("POST", "/post-call", body, {"ElevenLabs-Signature": sign_elevenlabs(body)}).status == 200
    return local


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_config_validate_ok_and_error(tmp_path: Path) -> None:
    ok = invoke("config", "validate")
    assert ok.exit_code == 0, ok.output
    assert "elevenlabs_customer_support" in ok.output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"agent_types": {"x": {"provider": "elevenlabs", "memry": {}}}}))
    failed = runner.invoke(app, ["config", "validate", str(bad)])
    assert failed.exit_code == 1
    assert "agent type 'x'" in failed.output and "memry" in failed.output and str(bad) in failed.output


def test_config_schema_to_stdout_is_json() -> None:
    result = invoke("config", "schema", "--out", "-")
    assert result.exit_code == 0
    assert "agent_types" in json.loads(result.output)["properties"]


def test_dash_is_standard_output_for_export_and_the_tenants_schema_as_for_config_schema(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`memories export -o -` wrote every caller's memories to a file named "-" in the working directory (one was
    committed at the repository's root), and `tenants schema --out -` its schema, where `config schema --out -`,
    `config migrate --out -` and `tenants up --json -` print."""
    data = tmp_path / "data"
    remembered_store(data).drain()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    exported = invoke("memories", "export", "-o", "-", "--data-dir", str(data))
    assert exported.exit_code == 0, exported.output
    assert all(json.loads(line)["agent_type"] == "elevenlabs_customer_support" for line in exported.stdout.splitlines())
    assert exported.stdout.strip()
    schema = invoke("tenants", "schema", "--out", "-")
    assert schema.exit_code == 0, schema.output
    assert "tenants" in json.loads(schema.stdout)["properties"]
    assert list(work.iterdir()) == []


def test_memories_list_search_erase(tmp_path: Path, env: dict[str, str]) -> None:
    local = remembered_store(tmp_path)
    local.drain()
    listed = invoke("memories", "list", "+1 555 555 0123", "--data-dir", str(tmp_path))
    assert listed.exit_code == 0
    assert "Dana Whitfield" in listed.output and "5 memories" in listed.output
    assert CALLER not in listed.output  # masked
    found = invoke("memories", "search", CALLER, "dog", "--data-dir", str(tmp_path))
    assert "Biscuit" in found.output
    erased = invoke("memories", "erase", CALLER, "--yes", "--data-dir", str(tmp_path))
    assert "erased 5 memories, 1 archived events" in erased.output
    assert local.runtime.service.manager.recent(CALLER) == []
    [record] = local.runtime.archive.entries()  # only the time of the erasure, under the caller's keyed hash
    assert record.key == f"erased/{local.runtime.service.identity.user_ref(CALLER)}" and record.user_ref is None
    replayed = invoke("replay", "--data-dir", str(tmp_path))
    assert "re-enqueued 0 archived events" in replayed.output  # a record of an erasure is no event


def test_memories_and_analytics_take_the_stored_user_id_of_a_pseudonymized_caller(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """`memories export` shows a pseudonymized caller as ``u_...``: erasing by it was hashed again, erased nothing and
    said "erased 0 memories"."""
    config = pseudonymizing_config(tmp_path)
    data = tmp_path / "data"
    local = remembered_store(data, config_path=config)
    local.drain()
    exported = invoke("memories", "export", "--data-dir", str(data), "--config", str(config))
    user_id = json.loads(exported.stdout.splitlines()[0])["user_id"]
    assert user_id.startswith("u_") and CALLER not in exported.output
    where = ("--data-dir", str(data), "--config", str(config))
    assert "5 memories" in invoke("memories", "list", user_id, *where).output
    assert "Biscuit" in invoke("memories", "search", user_id, "dog", *where).output
    report = json.loads(invoke("analytics", "user", user_id, "--json", *where).stdout)
    assert report["total_memories"] == 5
    erased = invoke("memories", "erase", user_id, "--yes", *where)
    assert "erased 5 memories, 1 archived events" in erased.output
    events = [entry for entry in local.runtime.archive.entries() if not entry.key.startswith("erased/")]
    assert local.runtime.store.users() == [] and events == []  # beside the record of when it was erased


def test_replay_re_enqueues_and_changes_nothing_twice(tmp_path: Path, env: dict[str, str]) -> None:
    local = remembered_store(tmp_path)  # accepted and archived, never processed (no worker ran)
    assert local.runtime.service.manager.recent(CALLER) == []
    first = invoke("replay", "--data-dir", str(tmp_path))
    assert first.exit_code == 0 and "re-enqueued 1" in first.output
    count = len(local.runtime.service.manager.recent(CALLER))
    assert count == 5
    invoke("replay", "--data-dir", str(tmp_path))
    assert len(local.runtime.service.manager.recent(CALLER)) == count
    missing = runner.invoke(app, ["replay", "--key", "nope", "--data-dir", str(tmp_path)])
    assert missing.exit_code == 1 and "no archived event" in missing.output


def test_memories_rejects_garbage_caller_cleanly(tmp_path: Path, env: dict[str, str]) -> None:
    result = runner.invoke(app, ["memories", "list", "not a caller!", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output


def test_replay_counts_only_the_events_it_replayed(tmp_path: Path, env: dict[str, str]) -> None:
    """It printed the whole queue's counts: `replay --dead` with nothing dead said "processed: 2 done"."""
    local = remembered_store(tmp_path, "conv_cli_a")
    body = json.dumps(elevenlabs_post_call(conversation_id="conv_cli_b")).encode()
    assert local.call("POST", "/post-call", body, {"ElevenLabs-Signature": sign_elevenlabs(body)}).status == 200
    local.drain()
    assert local.queue.counts() == {"done": 2}
    nothing = invoke("replay", "--dead", "--data-dir", str(tmp_path))
    assert "re-enqueued 0" in nothing.output and "processed: 0 done, 0 dead, 0 pending" in nothing.output
    one = invoke("replay", "--key", "post_call_transcription:conv_cli_a", "--data-dir", str(tmp_path))
    assert "re-enqueued 1" in one.output and "processed: 1 done, 0 dead, 0 pending" in one.output


def test_reindex_gives_old_memories_their_vectors(tmp_path: Path, env: dict[str, str]) -> None:
    from datetime import UTC, datetime

    from shared.memory.embedding import is_current
    from shared.memory.models import Memory
    from shared.memory.sqlite import SqliteMemoryStore
    from shared.memory.vectors import pack

    data_dir = tmp_path / "data"
    store = SqliteMemoryStore(data_dir / "memories.db")
    now = datetime.now(UTC)
    first_model = pack([1.0] * 256)[1:]  # what the first model stored: no generation byte
    store.add(
        [Memory(f"m{n}", CALLER, "elevenlabs_customer_support", "factual", f"old fact {n}", now) for n in range(3)]
        + [Memory("m3", CALLER, "elevenlabs_customer_support", "factual", "older model", now, vector=first_model)]
    )
    assert sum(m.vector is None for m in store.get_all(CALLER, "elevenlabs_customer_support", now=now)) == 3
    done = invoke("reindex", "--agent-type", "elevenlabs_customer_support", "--data-dir", str(data_dir))
    assert done.exit_code == 0, done.output
    assert "reindexed 1 caller(s): 4 memories got a vector" in done.output
    assert all(is_current(m.vector) for m in store.get_all(CALLER, "elevenlabs_customer_support", now=now))
    again = invoke("reindex", "--agent-type", "elevenlabs_customer_support", "--data-dir", str(data_dir))
    assert "0 memories got a vector" in again.output


@pytest.mark.parametrize(
    "args",
    [
        ["config", "schema", "--out", "{tmp}/nodir/x.json"],
        ["config", "schema", "--out", "{tmp}"],
        ["tenants", "schema", "--out", "{tmp}/nodir/x.json"],
        ["config", "migrate", "--env-file", "{tmp}/old.env", "--out", "{tmp}/nodir/x.json"],
    ],
)
def test_an_out_path_that_cannot_be_written_is_an_error_not_a_traceback(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "old.env").write_text("MEM0_SEARCH_LIMIT=3\n")
    result = runner.invoke(app, [arg.format(tmp=tmp_path) for arg in args])
    assert result.exit_code == 1 and result.exception is not None and isinstance(result.exception, SystemExit)
    assert result.output.startswith("error: --out ") and "directory" in result.output
    assert not (tmp_path / "nodir").exists()


@pytest.mark.parametrize(
    ("option", "value"), [("--port", "99999"), ("--port", "0"), ("--threads", "-3"), ("--threads", "0")]
)
def test_serve_refuses_an_impossible_port_or_thread_count_before_printing_anything(
    tmp_path: Path, env: dict[str, str], option: str, value: str
) -> None:
    result = runner.invoke(app, ["serve", option, value, "--data-dir", str(tmp_path)])
    assert result.exit_code == 2 and option in result.output and "serving" not in result.output
    assert "/healthz" not in result.output and not (tmp_path / "secrets.json").exists()


def test_the_text_chart_of_a_long_period_shows_today_in_its_last_bar(tmp_path: Path, env: dict[str, str]) -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    record = {
        "agent_type": "elevenlabs_customer_support", "id": "m_chart1", "user_id": CALLER, "text": "today's call",
        "type": "factual", "created_at": now.isoformat(), "expires_at": (now + timedelta(days=30)).isoformat(),
        "conversation_id": "chart1", "metadata": {},
    }  # fmt: skip
    (tmp_path / "m.jsonl").write_text(json.dumps(record) + "\n")
    assert invoke("memories", "import", str(tmp_path / "m.jsonl"), "--data-dir", str(tmp_path)).exit_code == 0
    out = invoke("analytics", "agent", "--days", "90", "--data-dir", str(tmp_path)).stdout
    chart = out[out.index("Calls per 2 days") :].splitlines()[1:]
    today, yesterday = now.date().isoformat(), (now.date() - timedelta(days=1)).isoformat()
    assert len(chart) == 45 and chart[-1].startswith(f"{yesterday}..{today[5:]} │") and chart[-1].endswith(" 1")
    assert sum(int(line.rsplit(" ", 1)[1]) for line in chart) == 1


def test_day_runs_count_back_from_the_last_day() -> None:
    from functions.cli.analytics_cmd import day_runs

    series = [(f"2026-12-0{day}", day) for day in range(1, 8)]
    assert day_runs(series, max_bars=7) == (1, series)
    assert day_runs(series, max_bars=3) == (
        3,
        [("2026-12-01", 1), ("2026-12-02..12-04", 2 + 3 + 4), ("2026-12-05..12-07", 5 + 6 + 7)],
    )


@pytest.mark.parametrize("limit", ["0", "-3"])
def test_memories_search_refuses_a_limit_below_one(tmp_path: Path, env: dict[str, str], limit: str) -> None:
    result = runner.invoke(app, ["memories", "search", CALLER, "dog", "--limit", limit, "--data-dir", str(tmp_path)])
    assert result.exit_code == 2 and "--limit" in result.output and "matches" not in result.output


def test_replay_leaves_another_agent_types_events_to_it(tmp_path: Path, env: dict[str, str]) -> None:
    """Two agent types share a data dir (docs/configuration.md): `replay --dead` of one re-tagged the other's dead
    letter as its own and wrote a sales call into the support agent's memories; `--key` did the same."""
    sales = make_local_runtime(tmp_path, "elevenlabs_sales_agent")
    body = json.dumps(elevenlabs_post_call(conversation_id="conv_sales_dead")).encode()
    assert sales.call("POST", "/post-call", body, {"ElevenLabs-Signature": sign_elevenlabs(body)}).status == 200
    key, _ = sales.queue.claim()
    assert sales.queue.fail(key, "StoreUnavailable", max_attempts=1)  # dead-lettered
    support = ["--agent-type", "elevenlabs_customer_support", "--data-dir", str(tmp_path)]

    dead = invoke("replay", "--dead", *support)
    assert dead.exit_code == 0 and "re-enqueued 0" in dead.output
    by_key = runner.invoke(app, ["replay", "--key", key, *support])
    assert by_key.exit_code == 1 and "elevenlabs_sales_agent" in by_key.output
    listed = invoke("memories", "list", CALLER, *support)
    assert "0 memories" in listed.output

    own = invoke("replay", "--dead", "--agent-type", "elevenlabs_sales_agent", "--data-dir", str(tmp_path))
    assert "re-enqueued 1" in own.output and "processed: 1 done" in own.output
    assert sales.runtime.service.manager.recent(CALLER) != []


@pytest.mark.parametrize(
    "command",
    [
        ["memories", "list", "+15555550123"],
        ["memories", "search", "+15555550123", "dog"],
        ["memories", "erase", "+15555550123", "--yes"],
        ["memories", "export", "-o", "-"],
        ["replay"],
        ["reindex"],
        ["sweep"],
        ["analytics", "agent"],
        ["analytics", "user", "+15555550123"],
    ],
)
def test_a_data_dir_that_does_not_exist_is_refused_not_created(
    env: dict[str, str], tmp_path: Path, command: list[str]
) -> None:
    """A mistyped --data-dir printed "0 memories" or "erased 0 memories" (exit 0) and left a new empty store."""
    missing = tmp_path / "typo-data"
    result = invoke(*command, "--data-dir", str(missing))
    assert result.exit_code == 1, result.output
    assert f"no data dir {missing}" in result.output.replace("\n", "")
    assert not missing.exists()
