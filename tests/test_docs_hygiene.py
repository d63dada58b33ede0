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


def _third_party_imports(script: Path) -> set[str]:
    import ast
    import sys

    names: set[str] = set()
    for node in ast.walk(ast.parse(script.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    local = {"benchmarks", "shared", "functions", "infra", "tests"}
    return {name for name in names if name not in sys.stdlib_module_names and name not in local}


def test_the_docs_that_run_benchmarks_say_they_need_the_dev_extra() -> None:
    """After README's `make serve` (the service only), `benchmarks/bench_recall.py` as README writes it died of
    ``ModuleNotFoundError: No module named 'yaml'``; neither README nor benchmarks.md named the dev extra."""
    service = {"pydantic", "functions_framework", "typer", "rich", "httpx", "phonenumbers"}
    needs_more = {
        script.name for script in (REPO / "benchmarks").glob("bench_*.py") if _third_party_imports(script) - service
    }
    assert "bench_recall.py" in needs_more  # yaml: what the docs must say
    readme = (REPO / "README.md").read_text()
    recall = readme[readme.index("## Recall") : readme.index("## The memory console")]
    assert "bench_recall.py" in recall and ".[dev]" in recall
    intro = (REPO / "docs" / "benchmarks.md").read_text().split("| script |")[0]
    assert ".[dev]" in intro


def test_the_pages_and_sections_repository_files_point_to_exist() -> None:
    """Pulumi.dev.yaml sent a newcomer to (README, "Deploying with Pulumi"): that section is in docs/deploying.md."""
    for path in [REPO / "Pulumi.dev.yaml", REPO / "tenants.example.yaml"]:
        for page, section in re.findall(r'\(([\w./-]+\.md|README), "([^"]+)"\)', path.read_text()):
            target = REPO / (page if page.endswith(".md") else "README.md")
            assert target.is_file(), (path.name, page)
            headings = re.findall(r"^#+ (.+)$", target.read_text(), flags=re.MULTILINE)
            assert any(heading.startswith(section) for heading in headings), (path.name, page, section)
