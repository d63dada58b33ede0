"""What a newcomer does by following the docs must not end with secrets in a commit."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def _ignored(path: str) -> bool:
    return subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO).returncode == 0


@pytest.fixture(autouse=True)
def _git_checkout() -> None:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")


def test_every_data_dir_the_docs_use_is_ignored_by_git() -> None:
    """``serve --data-dir .am-vapi`` writes secrets.json there; `git add -A` used to commit it."""
    data_dirs = {"./.agentic-memory"}
    for page in DOCS:
        data_dirs |= set(re.findall(r"--data-dir\s+([.\w/-]+)", page.read_text()))
    local = sorted(d for d in data_dirs if not d.startswith(("/", "D", "$")))
    assert ".am-vapi" in local and ".am-retell" in local
    for directory in local:
        assert _ignored(f"{directory}/secrets.json"), directory
        assert _ignored(f"{directory}/memories.db"), directory


def test_tenant_secret_files_next_to_the_tenants_file_are_ignored() -> None:
    """tenants.example.yaml reads ADMIN_API_KEY from ``file:secrets/...`` beside it, in the repository root."""
    example = (REPO / "tenants.example.yaml").read_text()
    references = re.findall(r"file:([\w.-]+/[\w./-]+)", example)
    assert references == ["secrets/globex-admin-api-key"]
    for reference in references:
        assert _ignored(reference), reference
