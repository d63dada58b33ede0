"""``memories import`` into a stack's table checks the erasures the stack recorded only when the environment names
its bucket (``ARCHIVE_BUCKET``). Without it (the documented command has none), the import said nothing, and a file
exported before an erasure on the stack brought the caller back as if it had been checked: it now says so."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from functions.cli import app
from tests.cli.test_memories_transfer import table  # noqa: F401 - the fixture: the stack's table on moto
from tests.conftest import CALLER

runner = CliRunner()
AGENT = "elevenlabs_customer_support"


def export_file(directory: Path) -> Path:
    now = datetime.now(UTC)
    record = {
        "id": "m_backup_1",
        "user_id": CALLER,
        "agent_type": AGENT,
        "type": "factual",
        "text": "Asked to change the billing address.",
        "created_at": (now - timedelta(days=2)).isoformat(),
        "expires_at": (now + timedelta(days=300)).isoformat(),
        "metadata": {"source": "summary"},
    }
    path = directory / "backup.jsonl"
    path.write_text(json.dumps(record) + "\n")
    return path


def test_an_import_into_a_stacks_table_without_its_bucket_warns_that_erasures_are_unchecked(
    table: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    result = runner.invoke(
        app,
        ["memories", "import", str(export_file(tmp_path)), "--backend", "dynamodb", "--data-dir", str(tmp_path / "d")],
    )
    assert result.exit_code == 0, result.output
    assert "imported 1 memories" in result.stdout
    assert "ARCHIVE_BUCKET is not set" in result.stderr and "not checked" in result.stderr


def test_a_local_import_does_not_warn(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["memories", "import", str(export_file(tmp_path)), "--backend", "sqlite", "--data-dir", str(tmp_path / "d")],
    )
    assert result.exit_code == 0, result.output
    assert "ARCHIVE_BUCKET" not in result.stderr
