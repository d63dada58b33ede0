"""``agentic-memory memories export | import``: from a local trial or from Mem0 into the stack's DynamoDB table."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from functions.cli import app
from shared.memory.models import Memory
from shared.memory.sqlite import SqliteMemoryStore
from shared.memory.transfer import export_lines
from tests.conftest import CALLER, TEST_SECRETS
from tests.fakes.mem0_server import API_KEY, FakeMem0Server
from tests.functions.dynamodb import REGION, create_memory_table
from tests.memory.test_transfer import NOW, memories

runner = CliRunner()
AGENT = "elevenlabs_customer_support"


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The stack's table on moto; the CLI finds it as an operator's shell would (MEMORY_TABLE, AWS env)."""
    boto3 = pytest.importorskip("boto3")
    from moto import mock_aws

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "MEMORY_TABLE": "am-prod-memories",
        **TEST_SECRETS,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("MEMORY_BACKEND", raising=False)
    monkeypatch.delenv("AGENT_TYPE", raising=False)
    with mock_aws():
        create_memory_table(boto3.client("dynamodb", region_name=REGION), "am-prod-memories")
        yield "am-prod-memories"


def seeded(data_dir: Path) -> list[Memory]:
    """A local trial's store: the sample memories, made current (the CLI reads with the real clock), of the memory
    types the agent type has (an import refuses others)."""
    today = datetime.now(UTC)
    rows = [
        replace(m, agent_type=AGENT, type="preference" if m.type == "lead" else m.type,
                created_at=today - (NOW - m.created_at),
                expires_at=None if m.expires_at is None else today + timedelta(days=30))
        for m in memories()
        if m.agent_type != "sales"
    ]  # fmt: skip
    store = SqliteMemoryStore(data_dir / "memories.db")
    store.add(rows)
    store.close()
    return rows


def test_a_local_trial_moves_into_the_table_and_importing_again_adds_nothing(table: str, tmp_path: Path) -> None:
    rows = seeded(tmp_path)
    dump = tmp_path / "memories.jsonl"
    exported = runner.invoke(
        app, ["memories", "export", "--backend", "sqlite", "--data-dir", str(tmp_path), "-o", str(dump)]
    )
    assert exported.exit_code == 0, exported.output
    records = [json.loads(line) for line in dump.read_text().splitlines()]
    assert len(records) == len(rows) and all(record["agent_type"] == AGENT for record in records)
    assert {"expires_at", "type", "metadata", "conversation_id"} <= set(records[0])

    first = runner.invoke(app, ["memories", "import", str(dump), "--backend", "dynamodb"])
    assert first.exit_code == 0, first.output
    assert f"imported {len(rows)} memories; 0 were there already" in first.output
    again = runner.invoke(app, ["memories", "import", str(dump), "--backend", "dynamodb"])
    assert f"imported 0 memories; {len(rows)} were there already" in again.output

    back = runner.invoke(app, ["memories", "export", "--backend", "dynamodb"])
    assert back.exit_code == 0
    assert [json.loads(line) for line in back.stdout.splitlines() if line.startswith("{")] == records
    listed = runner.invoke(app, ["memories", "list", CALLER, "--data-dir", str(tmp_path / "x")], env={
        "MEMORY_BACKEND": "dynamodb"
    })  # fmt: skip
    assert listed.exit_code == 0 and "Prefers afternoons" in listed.output


def test_from_mem0_into_the_table(table: str, tmp_path: Path) -> None:
    with FakeMem0Server() as server:
        env = {"MEM0_API_KEY": API_KEY, "MEM0_HOST": server.url}
        rows = seeded(tmp_path)
        local = SqliteMemoryStore(tmp_path / "memories.db")
        (tmp_path / "trial.jsonl").write_text("\n".join(export_lines(local, AGENT, now=rows[0].created_at)) + "\n")
        local.close()
        into_mem0 = runner.invoke(
            app, ["memories", "import", str(tmp_path / "trial.jsonl"), "--backend", "mem0"], env=env
        )
        assert into_mem0.exit_code == 0, into_mem0.output
        out = runner.invoke(app, ["memories", "export", "--backend", "mem0", "-o", str(tmp_path / "m.jsonl")], env=env)
        assert out.exit_code == 0, out.output
    moved = runner.invoke(app, ["memories", "import", str(tmp_path / "m.jsonl"), "--backend", "dynamodb"])
    assert moved.exit_code == 0 and f"imported {len(rows)} memories" in moved.output


def test_a_bad_file_is_a_clear_error(table: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n')
    result = runner.invoke(app, ["memories", "import", str(bad), "--backend", "dynamodb"])
    assert result.exit_code == 1 and "line 1: missing field(s)" in result.output and "Traceback" not in result.output
    missing = runner.invoke(app, ["memories", "import", str(tmp_path / "nope.jsonl"), "--backend", "sqlite"])
    assert missing.exit_code == 1 and "no file" in missing.output
    no_table = runner.invoke(app, ["memories", "export", "--backend", "dynamodb"], env={"MEMORY_TABLE": ""})
    assert no_table.exit_code == 1 and "MEMORY_TABLE" in no_table.output


def _record(**changes: object) -> str:
    record = {
        "id": "m_imp", "user_id": "+15555550177", "agent_type": AGENT, "type": "factual", "text": "hi",
        "created_at": "2026-12-01T00:00:00+00:00", "expires_at": "2099-01-01T00:00:00+00:00",
    }  # fmt: skip
    return json.dumps({**record, **changes}) + "\n"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"created_at": "+15555550177 card 4111111111111111"}, "line 1: field created_at: not an ISO 8601"),
        ({"expires_at": "+15555550177 card 4111111111111111"}, "line 1: field expires_at: not an ISO 8601"),
        ({"vector": "+15555550177 card 4111111111111111"}, "line 1: field vector: not base64"),
    ],
)
def test_a_bad_value_is_named_never_echoed(tmp_path: Path, changes: dict[str, str], message: str) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(_record(**changes))
    result = runner.invoke(app, ["memories", "import", str(bad), "--backend", "sqlite", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and message in result.output, result.output
    assert "4111111111111111" not in result.output and "0177" not in result.output.replace(str(tmp_path), "")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"agent_type": "no_such_type"}, "line 2: field agent_type: not an agent type of the config (known: "),
        ({"type": "my secret diagnosis"}, f"line 2: field type: not a memory type of agent type '{AGENT}'"),
        ({"agent_type": "elevenlabs_sales_agent", "type": "issue"}, "line 2: field type: not a memory type"),
    ],
)
def test_a_memory_no_agent_type_could_read_is_refused(tmp_path: Path, changes: dict[str, str], message: str) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(_record(id="m_ok") + _record(**changes))
    result = runner.invoke(
        app, ["memories", "import", str(source), "--backend", "sqlite", "--data-dir", str(tmp_path / "d")]
    )
    assert result.exit_code == 1 and message in result.output, result.output
    assert "no_such_type" not in result.output and "diagnosis" not in result.output


def test_import_and_export_paths_that_cannot_work_are_clear_errors(tmp_path: Path) -> None:
    data = ["--backend", "sqlite", "--data-dir", str(tmp_path / "d")]
    cases = [
        (["memories", "import", str(tmp_path), *data], "is a directory"),
        (["memories", "export", "-o", str(tmp_path / "nodir" / "x.jsonl"), *data], "no directory"),
        (["memories", "export", "-o", str(tmp_path), *data], "is a directory"),
    ]
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 1 and result.output.startswith("error:") and message in result.output, args
        assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not (tmp_path / "d").exists()  # refused before the store was opened


@pytest.mark.parametrize(
    ("backend", "library", "extra"), [("dynamodb", "boto3", "aws"), ("firestore", "google.cloud.firestore", "gcp")]
)
def test_a_cloud_store_without_its_extra_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, backend: str, library: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, library, None)  # as on a service-only install: the import fails
    env = {"MEMORY_TABLE": "am-prod-memories", "FIRESTORE_DATABASE": "am-x-memories", "AWS_DEFAULT_REGION": REGION}
    for args in (["export"], ["import", str(tmp_path / "in.jsonl")]):
        (tmp_path / "in.jsonl").write_text("")
        result = runner.invoke(app, ["memories", *args, "--backend", backend], env=env)
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
        assert f"pip install -e '.[{extra}]'" in result.output and f"{library} is not installed" in result.output


def test_mem0_export_and_import_run_as_documented_without_a_caller_ref_key_in_the_environment(tmp_path: Path) -> None:
    """docs/operations.md: `MEM0_API_KEY=... agentic-memory memories export --backend mem0 -o memories.jsonl` failed
    with "secret CALLER_REF_KEY is not set", even on the data dir whose secrets.json `serve` had written it to."""
    today = datetime.now(UTC)
    line = {
        "id": "m_doc_1", "user_id": CALLER, "agent_type": AGENT, "type": "factual", "text": "Prefers afternoons",
        "created_at": today.isoformat(), "expires_at": (today + timedelta(days=30)).isoformat(),
        "conversation_id": "conv_doc", "metadata": {},
    }  # fmt: skip
    (tmp_path / "in.jsonl").write_text(json.dumps(line) + "\n")
    served = tmp_path / "served"
    served.mkdir()
    (served / "secrets.json").write_text(json.dumps({"CALLER_REF_KEY": "k" * 43}))
    with FakeMem0Server() as server:
        env = {"MEM0_API_KEY": API_KEY, "MEM0_HOST": server.url, "CALLER_REF_KEY": None, "MEMORY_BACKEND": None}
        fresh = ["--backend", "mem0", "--data-dir", str(tmp_path / "fresh")]
        imported = runner.invoke(app, ["memories", "import", str(tmp_path / "in.jsonl"), *fresh], env=env)
        assert imported.exit_code == 0, imported.output
        out = tmp_path / "memories.jsonl"
        exported = runner.invoke(app, ["memories", "export", *fresh, "-o", str(out)], env=env)
        assert exported.exit_code == 0, exported.output
        assert [json.loads(row)["id"] for row in out.read_text().splitlines()] == ["m_doc_1"]
        again = runner.invoke(app, ["memories", "export", "--backend", "mem0", "--data-dir", str(served)], env=env)
        assert again.exit_code == 0, again.output
    assert json.loads((served / "secrets.json").read_text()) == {"CALLER_REF_KEY": "k" * 43}  # serve's key, kept


def test_export_of_an_agent_type_the_config_does_not_have_is_an_error(tmp_path: Path) -> None:
    """It exported "0 memories of nope" and exited 0 (and ignored a --config that does not exist): an operator
    moving stores would have taken an empty file for an empty store."""
    seeded(tmp_path)
    unknown = runner.invoke(
        app, ["memories", "export", "--backend", "sqlite", "--agent-type", "nope", "--data-dir", str(tmp_path)]
    )
    assert unknown.exit_code == 1 and "unknown agent type 'nope'" in unknown.output
    no_config = runner.invoke(
        app, ["memories", "export", "--backend", "sqlite", "--config", str(tmp_path / "missing.json"),
              "--data-dir", str(tmp_path), "-o", str(tmp_path / "out.jsonl")],
    )  # fmt: skip
    assert no_config.exit_code == 1 and "missing.json" in no_config.output
    assert not (tmp_path / "out.jsonl").exists()
