"""The architecture drawn in folders, kept true: ``shared`` <- ``functions`` <- ``infra``; cloud SDKs only at edges."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CLOUD_AND_DEPLOY = ("boto3", "botocore", "google.cloud", "functions_framework", "flask", "pulumi", "pulumi_aws")
FORBIDDEN = {
    "shared": (*CLOUD_AND_DEPLOY, "functions", "infra", "mem0", "typer", "rich"),
    "functions": ("infra", "pulumi", "mem0"),
}
# The operator's command line sits above everything (it bundles and deploys) and never ships in the bundle.
EXEMPT = ("functions/cli/",)
# Modules that may import a cloud SDK at module level: the cloud's own entry points, and only these.
SDK_AT_MODULE_LEVEL = {"functions/gcp/entry.py": ("functions_framework",)}
HEAVY_ON_COLD_PATH = (
    *("mem0", "boto3", "botocore", "google", "pulumi", "typer", "rich", "flask", "functions_framework"),
    *("shared.memory.embedding", "shared.memory.wordpiece"),  # the embedding model: /retrieve and the worker only
)


def imports(path: Path, *, module_level_only: bool = False) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    if module_level_only:  # include imports under module-level if/try, not those inside functions
        nodes = [n for top in tree.body if not isinstance(top, ast.FunctionDef | ast.ClassDef) for n in ast.walk(top)]
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def matches(name: str, banned: tuple[str, ...]) -> bool:
    return any(name == b or name.startswith(b + ".") for b in banned)


def type_checking_lines(path: Path) -> set[int]:
    """Lines under ``if TYPE_CHECKING:``, which never run."""
    lines: set[int] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_one_way_and_the_core_knows_no_cloud(package: str) -> None:
    offenders = [
        f"{path.relative_to(REPO)}:{line} imports {name}"
        for path in sorted((REPO / package).rglob("*.py"))
        if not path.relative_to(REPO).as_posix().startswith(EXEMPT)
        for line, name in imports(path)
        if matches(name, FORBIDDEN[package])
    ]
    assert offenders == []


def test_cloud_sdks_are_imported_lazily_except_by_their_own_entry_points() -> None:
    offenders = []
    for path in sorted((REPO / "functions").rglob("*.py")):
        relative = path.relative_to(REPO).as_posix()
        allowed = SDK_AT_MODULE_LEVEL.get(relative, ())
        skipped = type_checking_lines(path)
        for line, name in imports(path, module_level_only=True):
            if line not in skipped and matches(name, CLOUD_AND_DEPLOY) and not matches(name, allowed):
                offenders.append(f"{relative}:{line} imports {name} at module level")
    assert offenders == []


def test_the_check_itself_catches_a_cloud_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom google.cloud import storage\n\ndef f():\n    import boto3\n")
    names = [name for _, name in imports(bad)]
    assert [n for n in names if matches(n, CLOUD_AND_DEPLOY)] == ["google.cloud", "boto3"]
    assert [name for _, name in imports(bad, module_level_only=True) if matches(name, CLOUD_AND_DEPLOY)] == [
        "google.cloud"
    ]


def loaded_modules(statement: str) -> set[str]:
    code = f"import sys, json; {statement}; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    return set(json.loads(done.stdout))


@pytest.mark.parametrize("module", ["functions.aws.entry", "functions.aws.ports", "functions.gcp.ports"])
def test_importing_a_lambda_entry_module_imports_nothing_heavy(module: str) -> None:
    """Against a bare interpreter's modules (site .pth files pre-import ``google`` namespace packages here)."""
    added = loaded_modules(f"import {module}") - loaded_modules("pass")
    assert "shared.runtime" in added or module != "functions.aws.entry"
    assert sorted(name for name in added if matches(name, HEAVY_ON_COLD_PATH)) == []
