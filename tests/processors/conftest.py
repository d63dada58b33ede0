"""A real installed plugin for the tests: a module and its ``.dist-info`` (entry points) in a directory on
``sys.path``, found by ``importlib.metadata`` exactly as an installed distribution is."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

MODULE = """
import time
from dataclasses import replace

STATE = {"fail_post_call": True, "slow_seconds": 2.0, "post_calls": 0, "hang_seconds": 30.0}


class Note:
    def pre_call(self, call):
        return replace(call.context, fields={**call.context.fields, "note": f"{len(call.memories)} memories seen"})


class Slow:
    variables = ("slow",)

    def pre_call(self, call):
        time.sleep(STATE["slow_seconds"])
        return replace(call.context, fields={**call.context.fields, "slow": "yes"})


class Failing:
    def pre_call(self, call):
        raise RuntimeError("+15555550123 must never reach a log")

    def post_call(self, call):
        raise RuntimeError("+15555550123 must never reach a log")


class Flaky:
    def post_call(self, call):
        STATE["post_calls"] += 1
        if STATE["fail_post_call"]:
            raise RuntimeError("not yet")
        return call.memories


class Tagger:
    def post_call(self, call):
        kept = [m for m in call.memories if m.metadata.get("source") != "caller_turn"]
        return kept + [call.new_memory("note", "factual", "Tagged by the sample processor", kind="note")]


class Meddler:
    # writes into the context it was given, then fails; or keeps writing after the budget

    def pre_call(self, call):
        call.context.fields["meddled"] = "yes"
        if STATE["slow_seconds"] > 0.5:
            time.sleep(STATE["slow_seconds"])
            call.context.fields["late"] = "yes"
        raise RuntimeError("after writing")


class Garbage:
    def pre_call(self, call):
        return replace(call.context, fields={**call.context.fields, "count": 3, "object": object()})


class Hung:
    def post_call(self, call):
        time.sleep(STATE["hang_seconds"])
        return call.memories


class Stranger:
    def post_call(self, call):
        return [replace(m, user_id="+15555550199") for m in call.memories]
"""

ENTRY_POINTS = """[agentic_memory.processors]
note = sample_processors:Note
slow = sample_processors:Slow
failing = sample_processors:Failing
flaky = sample_processors:Flaky
tagger = sample_processors:Tagger
stranger = sample_processors:Stranger
meddler = sample_processors:Meddler
garbage = sample_processors:Garbage
hung = sample_processors:Hung
"""


@pytest.fixture
def plugin_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """On ``sys.path`` for one test only, so no other test (a layer build) sees the sample plugin."""
    root = tmp_path_factory.mktemp("site")
    (root / "sample_processors.py").write_text(MODULE)
    info = root / "sample_processors-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: sample-processors\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    monkeypatch.syspath_prepend(str(root))
    importlib.invalidate_caches()
    yield root
    sys.modules.pop("sample_processors", None)


@pytest.fixture
def sample(plugin_dir: Path) -> ModuleType:
    module = importlib.import_module("sample_processors")
    module.STATE.update({"fail_post_call": True, "slow_seconds": 2.0, "post_calls": 0, "hang_seconds": 30.0})
    return module
