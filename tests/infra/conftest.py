"""Fixtures of the infra tests: Pulumi's mock runtime configured per test, the bundle, the shipped agent types."""

from __future__ import annotations

import asyncio
import hashlib
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime
import pytest
from pulumi.runtime.stack import wait_for_rpcs

from infra.bundle import Bundle, build_bundle
from shared.config.loader import load_agent_types
from tests.infra.mocks import (
    GCP_PROJECT,
    GCP_PROJECT_NUMBER,
    GCP_REGION,
    PROJECT,
    REGION,
    SECRET_SIG,
    TEST_SECRET_VALUES,
    Recorded,
    RecordingMocks,
    unwrap,
)

__all__ = [
    "GCP_PROJECT",
    "GCP_PROJECT_NUMBER",
    "GCP_REGION",
    "PROJECT",
    "REGION",
    "TEST_SECRET_VALUES",
    "Recorded",
    "RecordingMocks",
    "unwrap",
]


@pytest.fixture
def mocks() -> RecordingMocks:
    """Fresh mocks for the stack ``dev`` with empty config; ``use_stack`` switches stack and config (and clears)."""
    recorder = RecordingMocks()
    pulumi.runtime.set_mocks(recorder, project=PROJECT, stack="dev", preview=False)
    pulumi.runtime.set_all_config({})
    return recorder


@pytest.fixture
def use_stack(mocks: RecordingMocks) -> Callable[..., RecordingMocks]:
    def configure(
        stack: str, config: dict[str, str] | None = None, secret_keys: list[str] | None = None
    ) -> RecordingMocks:
        mocks.resources.clear()
        mocks.calls.clear()
        pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False)
        pulumi.runtime.set_all_config(config or {}, secret_keys=secret_keys or [])
        return mocks

    return configure


def settled() -> pulumi.Output[None]:
    """An Output that resolves once every resource registration so far has reached the mocks."""
    return pulumi.Output.from_input(asyncio.ensure_future(wait_for_rpcs(await_all_outstanding_tasks=False)))


def after_all(outputs: dict[str, pulumi.Output[Any]]) -> pulumi.Output[dict[str, Any]]:
    """The program's outputs, resolved after all resources are recorded (so a check sees the whole stack)."""
    return pulumi.Output.all(settled(), pulumi.Output.all(**outputs)).apply(lambda values: values[1])


def _dummy_layer(path: Path) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("python/placeholder.txt", date_time=(1980, 1, 1, 0, 0, 0)), b"layer\n")
    path.write_bytes(buffer.getvalue())
    return path


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    """The real code zip (deterministic, from the repository) and a small stand-in for the pip-built layer."""
    out = tmp_path_factory.mktemp("bundle")
    built = build_bundle(out)
    layer = _dummy_layer(out / "layer-test.zip")
    assert hashlib.sha256(built.code_zip.read_bytes()).hexdigest() == built.code_sha256
    return Bundle(built.code_zip, built.code_sha256, built.requirements_txt, layer)


AGENT_TYPES = sorted(load_agent_types().agent_types)  # every shipped agent type, each provider included


def stack_values(agent_type: str, cloud: str, stack: str = "dev", **extra: Any) -> dict[str, Any]:
    """A complete stack config for ``build_stack_config``, with every secret given (extra ones are ignored)."""
    values: dict[str, Any] = {
        "stack": stack,
        "cloud": cloud,
        "agentType": agent_type,
        "secrets": dict(TEST_SECRET_VALUES),
    }
    if cloud == "aws":
        values["aws:region"] = REGION
    else:
        values.update({"gcp:project": GCP_PROJECT, "gcp:region": GCP_REGION})
    values.update(extra)
    return values


@dataclass
class Walk:
    """Every string in a structure, with whether it sits inside a Pulumi secret wrapper."""

    plain: list[str] = field(default_factory=list)
    secret: list[str] = field(default_factory=list)

    def visit(self, value: Any, in_secret: bool = False) -> Walk:
        if isinstance(value, dict):
            wrapped = value.get(SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270"
            for item in value.values():
                self.visit(item, in_secret or wrapped)
        elif isinstance(value, list):
            for item in value:
                self.visit(item, in_secret)
        elif isinstance(value, str):
            (self.secret if in_secret else self.plain).append(value)
        return self
