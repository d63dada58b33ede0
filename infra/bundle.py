"""The handler bundle: one deterministic code zip for both clouds, a Lambda layer, a Cloud Functions requirements file.

The code zip holds the Python modules of ``shared/`` and ``functions/`` (without the CLI and the platform wiring), the
data files the runtime reads (``config/agent_types.json``, the console's files, the embedding model), ``main.py`` and
``requirements.txt`` at the root, so AWS Lambda and Cloud Functions gen2 deploy the very same bytes. It is an
allowlist, so a stray file of the working tree (a key, a local config, a test) never ships. It is
deterministic (sorted entries, fixed 1980-01-01 timestamps, fixed modes, stored uncompressed so no zlib
build can change a byte) and named by its SHA-256, which Pulumi uses as ``source_code_hash`` and in the
Cloud Storage object name (gen2 redeploys only when that name changes).

Dependencies travel per cloud: Cloud Functions' build installs ``requirements.txt``; Lambda gets a layer of
manylinux wheels (``python/`` at its root) built with ``pip --platform``, plus their bytecode compiled by the
runtime's Python when one is installed (Lambda's /opt is read-only, so uncompiled packages are compiled again on
every cold start). boto3 is in the Lambda runtime and stays out of the layer.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from typing import Literal

from infra.plugins import Plugin, installed_plugins, plugin_requirements, plugins_digest
from shared.console import CONTENT_TYPES

REPO_ROOT = Path(__file__).resolve().parent.parent
CODE_DIRS = ("shared", "functions", "config")  # walked; only what the allowlist below names ships
ROOT_FILES = ("main.py",)
REQUIREMENTS_NAME = "requirements.txt"
# The allowlist, since a working tree collects stray files (keys, local configs, data, tests) that must never ship:
# Python modules under these folders, at any depth ...
PYTHON_DIRS = ("shared", "functions")
# ... and, folder by folder, the data files the runtime reads there (none of their subfolders).
DATA_FILES: dict[str, tuple[str, ...]] = {
    "config": ("agent_types.json",),  # AGENTIC_MEMORY_CONFIG's default (shared.config.loader)
    "shared/console/static": tuple(f"*{suffix}" for suffix in CONTENT_TYPES),  # all the console serves
    "shared/memory/model": ("model.json", "vocab.txt", "vectors.bin", "scales.bin", "synonyms.txt.gz"),
}
EXCLUDED_PREFIXES = ("functions/cli/", "functions/local", "functions/wiring/")
# Never in the code zip, even where the allowlist would take it.
NEVER_PARTS = frozenset({"tests", "test"})
NEVER_NAMES = ("test_*.py", "*_test.py", "conftest.py", "*.pem", "*.key", "secrets*.json", "*.db", "*.sqlite*")
EXCLUDED_PARTS = frozenset({"__pycache__", ".DS_Store", "Thumbs.db"})
EXCLUDED_SUFFIXES = (".pyc", ".pyo", ".swp", ".swo", "~", ".orig", ".rej")
LAYER_EXCLUDED_PREFIXES = ("python/bin/",)
LAYER_MOUNT = "/opt"  # where Lambda extracts layers
LAYER_FORMAT = "3"  # part of the layer's cache name: bump when the way it is built changes

ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = stat.S_IFREG | 0o644
ZIP_CREATE_SYSTEM = 3  # Unix, whatever machine builds it

# What the handlers import at run time (pinned to the tested versions; pyproject.toml holds the ranges).
RUNTIME_REQUIREMENTS = ("httpx==0.28.1", "phonenumberslite==9.0.42", "pydantic==2.14.4")
# Cloud Functions also needs its framework and the client libraries of the GCP ports, the Firestore memory store
# included (secrets come mounted as env).
GCP_REQUIREMENTS = (
    "functions-framework==3.10.2",
    "google-cloud-firestore==2.34.1",
    "google-cloud-pubsub==2.44.0",
    "google-cloud-storage==3.17.1",
)
LAMBDA_PYTHON = "3.12"
LAMBDA_PLATFORM = "manylinux2014_x86_64"


@dataclass(frozen=True)
class Bundle:
    code_zip: Path
    code_sha256: str
    requirements_txt: Path
    layer_zip: Path | None


def requirements_text() -> str:
    """The Cloud Functions ``requirements.txt``: framework, runtime and GCP client libraries, sorted."""
    return "".join(f"{line}\n" for line in sorted(RUNTIME_REQUIREMENTS + GCP_REQUIREMENTS, key=str.lower))


def layer_requirements_text() -> str:
    return "".join(f"{line}\n" for line in RUNTIME_REQUIREMENTS)


def _excluded(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return (
        any(part in EXCLUDED_PARTS or part.startswith(".") for part in parts)
        or name.endswith(EXCLUDED_SUFFIXES)
        or name.startswith(EXCLUDED_PREFIXES)
    )


def _in_code_zip(name: str) -> bool:
    """The allowlist: a Python module of ``PYTHON_DIRS`` or a data file the runtime reads (``DATA_FILES``)."""
    path = PurePosixPath(name)
    if (
        _excluded(name)
        or any(part in NEVER_PARTS or part.startswith(".") for part in path.parts)
        or any(fnmatchcase(path.name, pattern) for pattern in NEVER_NAMES)
    ):
        return False
    folder = path.parent.as_posix()
    if folder in DATA_FILES:
        return any(fnmatchcase(path.name, pattern) for pattern in DATA_FILES[folder])
    return path.parts[0] in PYTHON_DIRS and path.suffix == ".py"


def _walk(root: Path, top: str, *, keep: frozenset[str] = frozenset()) -> Iterator[tuple[str, Path]]:
    """Every regular file under ``root/top`` as (archive name, path); symlinked directories are not followed."""
    base = root / top
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = [d for d in dirnames if d in keep or (d not in EXCLUDED_PARTS and not d.startswith("."))]
        for filename in filenames:
            path = Path(dirpath) / filename
            if path.is_file():
                yield path.relative_to(root).as_posix(), path


def code_files(repo_root: Path | None = None) -> list[tuple[str, bytes]]:
    """The code zip's entries as (archive name, content), sorted by name."""
    root = (repo_root or REPO_ROOT).resolve()
    entries: dict[str, bytes] = {}
    for top in CODE_DIRS:
        if not (root / top).is_dir():
            raise FileNotFoundError(f"bundle: {top}/ is missing under {root}")
        for name, path in _walk(root, top):
            if _in_code_zip(name):
                entries[name] = path.read_bytes()
    for name in ROOT_FILES:
        if not (root / name).is_file():
            raise FileNotFoundError(f"bundle: {name} is missing under {root}")
        entries[name] = (root / name).read_bytes()
    entries[REQUIREMENTS_NAME] = requirements_text().encode()
    return sorted(entries.items())


def deterministic_zip(entries: Sequence[tuple[str, bytes]]) -> bytes:
    """Zip bytes that depend on names and contents only: sorted, fixed timestamps, modes and host system."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.create_system = ZIP_CREATE_SYSTEM
            info.external_attr = FILE_MODE << 16
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, data)
    return buffer.getvalue()


def code_zip_bytes(repo_root: Path | None = None) -> bytes:
    """The code zip in memory (cheap; for Pulumi, which needs the hash before any file exists)."""
    return deterministic_zip(code_files(repo_root))


def code_sha256(repo_root: Path | None = None) -> str:
    return hashlib.sha256(code_zip_bytes(repo_root)).hexdigest()


def pip_layer_command(
    target: Path, requirements: Path, *, python_version: str = LAMBDA_PYTHON, platform: str = LAMBDA_PLATFORM
) -> list[str]:
    """The ``pip install`` argv for Lambda's runtime: binary manylinux wheels for its Python and architecture."""
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-warn-conflicts",  # the target's wheels are checked against the building venv's packages, not Lambda's
        "--no-compile",
        "--platform",
        platform,
        "--implementation",
        "cp",
        "--python-version",
        python_version,
        "--only-binary=:all:",
        "--target",
        str(target),
        "-r",
        str(requirements),
    ]


def _layer_files(staging: Path, *, with_bytecode: bool) -> list[tuple[str, bytes]]:
    entries = []
    keep = frozenset({"__pycache__"}) if with_bytecode else frozenset()
    for name, path in _walk(staging, "python", keep=keep):
        if name.startswith(LAYER_EXCLUDED_PREFIXES):
            continue
        bytecode = with_bytecode and name.endswith(".pyc") and PurePosixPath(name).parent.name == "__pycache__"
        if bytecode or not _excluded(name):
            data = path.read_bytes()
            entries.append((name, _without_scripts(data) if name.endswith(".dist-info/RECORD") else data))
    return sorted(entries)


def _without_scripts(record: bytes) -> bytes:
    """A wheel's RECORD less its console scripts (``../../bin/...``): they never ship in the layer, and their hash
    is of a shebang naming the building interpreter, so the same requirements built from another venv made another
    layer (and a new layer version at the next ``pulumi up``)."""
    lines = record.splitlines(keepends=True)
    return b"".join(line for line in lines if not line.startswith(b"../"))


def target_interpreter(python_version: str) -> str | None:
    """A working interpreter of the Lambda runtime's version here (this one, pyenv's, or on PATH), if any."""
    candidates = [sys.executable]
    try:
        prefix = subprocess.run(["pyenv", "prefix", python_version], capture_output=True, text=True, check=True)
        candidates.append(str(Path(prefix.stdout.strip()) / "bin" / f"python{python_version}"))
    except (OSError, subprocess.CalledProcessError):
        pass
    candidates.append(shutil.which(f"python{python_version}") or "")
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    for candidate in filter(None, candidates):
        try:
            done = subprocess.run([candidate, "-I", "-c", probe], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            continue
        if done.returncode == 0 and done.stdout.strip() == python_version:
            return candidate
    return None


def compile_environ() -> dict[str, str]:
    """No inherited PYTHON* variables; one fixed hash seed, so set and frozenset constants keep their order."""
    return {"PATH": os.environ.get("PATH", ""), "PYTHONHASHSEED": "0"}


def compile_command(interpreter: str, staging: Path) -> list[str]:
    """Unchecked-hash bytecode (no source mtime inside) whose file names read ``/opt/python/...`` as on Lambda."""
    return [
        interpreter,
        "-s",
        "-m",
        "compileall",
        "-q",
        "--invalidation-mode",
        "unchecked-hash",
        "-s",
        str(staging),
        "-p",
        LAYER_MOUNT,
        str(staging / "python"),
    ]


def build_layer(
    out_dir: Path,
    *,
    python_version: str = LAMBDA_PYTHON,
    platform: str = LAMBDA_PLATFORM,
    compile_with: str | Literal["auto"] | None = "auto",
    plugins: Sequence[Plugin] | None = None,
) -> Path:
    """The Lambda layer zip, named by a hash of its inputs and reused when it already exists (pip is slow).

    With an interpreter of the runtime's version at hand, the layer also carries its bytecode: Lambda's /opt is
    read-only, so without it every cold start compiles pydantic and httpx again (about twice the cold start).
    ``plugins`` (default: the processor plugins installed here, see ``infra.plugins``) are added on top of the
    dependencies, whose own zip stays cached while only a plugin's code changes.

    Raises ``subprocess.CalledProcessError`` when pip cannot resolve binary wheels for the platform.
    """
    plugins = installed_plugins() if plugins is None else list(plugins)
    interpreter = target_interpreter(python_version) if compile_with == "auto" else compile_with
    bytecode = "pyc" if interpreter else "source"
    requirements_text = layer_requirements_text() + "".join(f"{line}\n" for line in plugin_requirements(plugins))
    spec = f"{LAYER_FORMAT}\n{python_version}\n{platform}\n{bytecode}\n{requirements_text}"
    digest = hashlib.sha256(spec.encode()).hexdigest()[:16]
    layer_zip = out_dir / f"layer-py{python_version}-{platform}-{bytecode}-{digest}.zip"
    if not layer_zip.is_file():
        _build_dependencies(layer_zip, requirements_text, python_version, platform, interpreter)
    if not plugins:
        return layer_zip
    with_plugins = layer_zip.with_name(f"{layer_zip.stem}-plugins-{plugins_digest(plugins)}.zip")
    if not with_plugins.is_file():
        with zipfile.ZipFile(layer_zip) as base:
            entries = {name: base.read(name) for name in base.namelist()}
        for item in plugins:
            entries.update(item.files)
        _write_atomically(with_plugins, deterministic_zip(sorted(entries.items())))
    return with_plugins


def _build_dependencies(
    layer_zip: Path, requirements_text: str, python_version: str, platform: str, interpreter: str | None
) -> None:
    layer_zip.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="agentic-memory-layer-") as tmp:
        staging = Path(tmp)
        requirements = staging / "requirements.txt"
        requirements.write_text(requirements_text)
        command = pip_layer_command(staging / "python", requirements, python_version=python_version, platform=platform)
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        if interpreter:
            compiled = compile_command(interpreter, staging)
            subprocess.run(compiled, check=True, stdout=subprocess.DEVNULL, env=compile_environ())
        data = deterministic_zip(_layer_files(staging, with_bytecode=bool(interpreter)))
    _write_atomically(layer_zip, data)


def _write_atomically(path: Path, data: bytes) -> None:
    """Several stacks (tenants) may build at once: a reader sees the old file or the new one, never half."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
    partial.write_bytes(data)
    partial.replace(path)


def build_bundle(
    out_dir: Path,
    *,
    repo_root: Path | None = None,
    with_layer: bool = False,
    python_version: str = LAMBDA_PYTHON,
    platform: str = LAMBDA_PLATFORM,
) -> Bundle:
    """Write the code zip (named by its hash), ``requirements.txt`` and, if asked, the Lambda layer."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data = code_zip_bytes(repo_root)
    digest = hashlib.sha256(data).hexdigest()
    code_zip = out_dir / f"code-{digest[:16]}.zip"
    if not code_zip.is_file() or code_zip.read_bytes() != data:
        _write_atomically(code_zip, data)
    requirements_txt = out_dir / REQUIREMENTS_NAME
    _write_atomically(requirements_txt, requirements_text().encode())
    layer_zip = build_layer(out_dir, python_version=python_version, platform=platform) if with_layer else None
    return Bundle(code_zip=code_zip, code_sha256=digest, requirements_txt=requirements_txt, layer_zip=layer_zip)


def unzip(archive: Path, destination: Path) -> Path:
    """Extract a bundle zip (tests and benchmarks use it to stand in for /var/task and /opt)."""
    destination.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(destination)
    return destination


__all__ = [
    "Bundle",
    "build_bundle",
    "build_layer",
    "code_files",
    "code_sha256",
    "code_zip_bytes",
    "deterministic_zip",
    "requirements_text",
    "unzip",
]
