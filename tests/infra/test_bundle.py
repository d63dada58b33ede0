"""The handler bundle: same sources, same zip bytes, on every run and after ``touch``; lean and complete."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import sys
import tomllib
import zipfile
from pathlib import Path, PurePosixPath

import pytest
from packaging.requirements import Requirement

from infra import bundle
from infra.bundle import build_bundle, code_sha256, code_zip_bytes

REPO = Path(bundle.__file__).resolve().parents[1]
CODE_ZIP_LIMIT = 1024 * 1024
MODEL_DIR = REPO / "shared" / "memory" / "model"  # the bundled embedding model (docs/recall.md), counted apart
MODEL_LIMIT = 10 * 1024 * 1024


def copy_repo(destination: Path) -> Path:
    """The bundle's inputs copied elsewhere, with junk a working tree collects."""
    for top in (*bundle.CODE_DIRS, *bundle.ROOT_FILES, "pyproject.toml"):
        source = REPO / top
        if source.is_dir():
            shutil.copytree(source, destination / top, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, destination / top)
    return destination


def test_two_builds_give_identical_bytes(tmp_path: Path) -> None:
    first = build_bundle(tmp_path / "a", repo_root=REPO)
    second = build_bundle(tmp_path / "b", repo_root=REPO)
    assert first.code_zip.read_bytes() == second.code_zip.read_bytes()
    assert first.code_sha256 == second.code_sha256 == code_sha256(REPO)
    assert first.code_zip.name == f"code-{first.code_sha256[:16]}.zip"


def test_a_copy_with_touched_mtimes_modes_and_junk_gives_identical_bytes(tmp_path: Path) -> None:
    copy = copy_repo(tmp_path / "copy")
    for path in copy.rglob("*"):
        if path.is_file():
            os.utime(path, (1_900_000_000, 1_900_000_000))
            path.chmod(0o755)
    (copy / "shared" / "__pycache__").mkdir(exist_ok=True)
    (copy / "shared" / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\x00junk")
    (copy / "shared" / "app.pyc").write_bytes(b"junk")
    (copy / "functions" / ".DS_Store").write_bytes(b"junk")
    (copy / "functions" / "aws.py~").write_text("junk")
    (copy / "functions" / "cli" / "extra_cmd.py").write_text("# the CLI never ships")
    assert code_zip_bytes(copy) == code_zip_bytes(REPO)


STRAY_FILES = (  # what a working tree collects beside the code; none of it may ship
    "functions/secrets.json",
    "functions/aws/x.pem",
    "functions/gcp/deploy.key",
    "functions/gcp/conftest.py",
    "shared/tests/test_x.py",
    "shared/tests/__init__.py",
    "shared/memory/test_ranking_draft.py",
    "shared/memory/local.db",
    "shared/memory/model/notes.md",
    "shared/console/static/draft.psd",
    "shared/console/static/old/index.html",
    "config/agent_types.local.json",
    "config/agent_types.schema.json.bak",
    "config/data/store.sqlite3",
    "config/data/agent_types.json",
    "functions/.agentic-memory/secrets.json",
    "shared/notes.txt",
)


def test_stray_files_in_the_tree_never_ship_and_leave_the_hash_alone(tmp_path: Path) -> None:
    copy = copy_repo(tmp_path / "copy")
    for name in STRAY_FILES:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_text("leakcheck-stray-file\n")
    assert code_zip_bytes(copy) == code_zip_bytes(REPO)
    assert code_sha256(copy) == code_sha256(REPO)


def test_every_entry_is_of_an_allowed_kind() -> None:
    """Python modules of shared/ and functions/, the data files the runtime reads, and the two root files."""
    names = {name for name, _ in bundle.code_files(REPO)}
    data = {name for name in names if PurePosixPath(name).parent.as_posix() in bundle.DATA_FILES}
    assert {"config/agent_types.json", "shared/console/static/index.html", "shared/memory/model/vectors.bin"} <= data
    assert {path.name for path in MODEL_DIR.iterdir()} <= {PurePosixPath(name).name for name in data}
    rest = names - data - {"main.py", "requirements.txt"}
    assert all(name.endswith(".py") and name.split("/")[0] in bundle.PYTHON_DIRS for name in rest)
    assert not any("/tests/" in name or PurePosixPath(name).name.startswith("test_") for name in names)


def test_a_source_change_changes_the_hash(tmp_path: Path) -> None:
    copy = copy_repo(tmp_path / "copy")
    with (copy / "shared" / "http.py").open("a") as handle:
        handle.write("\n# changed\n")
    assert code_sha256(copy) != code_sha256(REPO)


def test_entries_are_sorted_with_fixed_timestamps_and_modes() -> None:
    with zipfile.ZipFile(io.BytesIO(code_zip_bytes(REPO))) as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]
    assert names == sorted(names)
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {info.external_attr >> 16 for info in infos} == {0o100644}
    assert {info.create_system for info in infos} == {3}
    assert {info.compress_type for info in infos} == {zipfile.ZIP_STORED}


def test_contents_are_what_both_clouds_need_and_nothing_else() -> None:
    names = set(zipfile.ZipFile(io.BytesIO(code_zip_bytes(REPO))).namelist())
    for required in (
        "main.py",
        "requirements.txt",
        "functions/aws/entry.py",
        "functions/gcp/entry.py",
        "shared/runtime.py",
    ):
        assert required in names
    assert "config/agent_types.json" in names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert not any(n.startswith(("functions/cli/", "functions/local", "infra/", "tests/")) for n in names)
    assert not any(part.startswith(".") for n in names for part in n.split("/"))


def test_code_zip_is_small() -> None:
    """The code is small; the one large part is the embedding model, which has its own bound."""
    size = len(code_zip_bytes(REPO))
    model = sum(path.stat().st_size for path in MODEL_DIR.iterdir())
    print(f"code zip: {size:,} bytes, of which the embedding model {model:,}")
    assert 0 < model < MODEL_LIMIT
    assert size - model < CODE_ZIP_LIMIT


def test_missing_main_py_is_a_clear_error(tmp_path: Path) -> None:
    copy = copy_repo(tmp_path / "copy")
    (copy / "main.py").unlink()
    with pytest.raises(FileNotFoundError, match=r"main\.py"):
        code_zip_bytes(copy)


def test_requirements_pins_satisfy_pyproject() -> None:
    """The bundle pins exactly what was tested; pyproject.toml holds the ranges; they must agree."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    declared = [Requirement(r) for r in project["project"]["dependencies"]]
    declared += [Requirement(r) for r in project["project"]["optional-dependencies"]["gcp"]]
    ranges = {r.name.lower(): r.specifier for r in declared}
    for line in bundle.requirements_text().splitlines():
        pinned = Requirement(line)
        version = str(next(iter(pinned.specifier)).version)
        assert pinned.name.lower() in ranges, f"{pinned.name} is not declared in pyproject.toml"
        assert ranges[pinned.name.lower()].contains(version), f"{line} is outside pyproject.toml's range"


def test_lambda_layer_holds_only_runtime_dependencies() -> None:
    names = {Requirement(line).name for line in bundle.layer_requirements_text().splitlines()}
    assert names == {"pydantic", "httpx", "phonenumberslite"}
    gcf = {Requirement(line).name for line in bundle.requirements_text().splitlines()}
    assert names < gcf and "functions-framework" in gcf and "boto3" not in gcf


@pytest.mark.parametrize(("platform", "python"), [("manylinux2014_x86_64", "3.12"), ("manylinux2014_aarch64", "3.13")])
def test_pip_argv_targets_the_lambda_runtime(tmp_path: Path, platform: str, python: str) -> None:
    argv = bundle.pip_layer_command(tmp_path / "python", tmp_path / "r.txt", python_version=python, platform=platform)
    assert argv[:4] == [sys.executable, "-m", "pip", "install"]
    joined = " ".join(argv)
    for flag in (f"--platform {platform}", "--implementation cp", f"--python-version {python}", "--only-binary=:all:"):
        assert flag in joined
    assert f"--target {tmp_path / 'python'}" in joined


def test_pip_does_not_report_the_building_venvs_conflicts_as_errors(tmp_path: Path) -> None:
    """`agentic-memory bundle` from the dev venv printed "ERROR: pip's dependency resolver ... vapi-server-sdk 3.0.0
    requires pydantic-core<2.44.0, but you have pydantic-core 2.50.5": pip checked the layer's wheels (--target)
    against the packages of the venv it ran in, which never reach Lambda; the layer was fine, the ERROR was not."""
    argv = bundle.pip_layer_command(tmp_path / "python", tmp_path / "r.txt")
    assert "--no-warn-conflicts" in argv


def test_layer_keeps_only_its_bytecode_and_drops_scripts(tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    for name in ("python/pkg/__init__.py", "python/pkg/__pycache__/__init__.cpython-312.pyc", "python/bin/tool"):
        (staging / name).parent.mkdir(parents=True, exist_ok=True)
        (staging / name).write_bytes(b"x")
    with_bytecode = [name for name, _ in bundle._layer_files(staging, with_bytecode=True)]
    assert with_bytecode == ["python/pkg/__init__.py", "python/pkg/__pycache__/__init__.cpython-312.pyc"]
    assert [name for name, _ in bundle._layer_files(staging, with_bytecode=False)] == ["python/pkg/__init__.py"]


def test_a_layer_built_from_another_venv_is_the_same_layer(tmp_path: Path) -> None:
    """A console script's RECORD line hashes a shebang naming the building interpreter (``../../bin/httpx``): two
    venvs made two layers from the same requirements. The script never ships, nor does its line."""
    layers = []
    for venv in ("/home/a/.venv/bin/python", "/srv/builds/project-with-a-longer-path/.venv/bin/python3"):
        staging = tmp_path / str(len(layers))
        record = staging / "python/httpx-0.28.1.dist-info/RECORD"
        record.parent.mkdir(parents=True)
        script = f"#!{venv}\nfrom httpx import main\n".encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(script).digest()).rstrip(b"=")
        record.write_bytes(
            b"../../bin/httpx,sha256=" + digest + b",%d\n" % len(script)
            + b"httpx/__init__.py,sha256=abc,10\nhttpx-0.28.1.dist-info/RECORD,,\n"
        )  # fmt: skip
        layers.append(bundle._layer_files(staging, with_bytecode=False))
    assert layers[0] == layers[1]
    assert layers[0] == [
        ("python/httpx-0.28.1.dist-info/RECORD", b"httpx/__init__.py,sha256=abc,10\nhttpx-0.28.1.dist-info/RECORD,,\n")
    ]


def test_bytecode_is_reproducible_and_names_the_lambda_paths(tmp_path: Path) -> None:
    argv = bundle.compile_command("python3.12", tmp_path)
    assert argv[argv.index("--invalidation-mode") + 1] == "unchecked-hash"  # no source mtime inside
    assert argv[-3:] == ["-p", "/opt", str(tmp_path / "python")]
    assert bundle.compile_environ()["PYTHONHASHSEED"] == "0"
