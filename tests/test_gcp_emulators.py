"""The emulator fixtures' own rules: skip locally without gcloud, fail under CI, leave no process behind."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.gcp_emulators import Emulator, EmulatorPool, _group_alive, unavailable


def test_a_missing_emulator_skips_locally_with_a_notice() -> None:
    with pytest.raises(pytest.skip.Exception, match="skipped on this machine"):
        unavailable("gcloud is not installed", {})


def test_a_missing_emulator_fails_under_ci() -> None:
    with pytest.raises(pytest.fail.Exception, match="CI must run the emulator tests"):
        unavailable("gcloud is not installed", {"CI": "true"})


def test_without_gcloud_nothing_starts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CI", raising=False)
    pool = EmulatorPool(needed={"firestore"}, log_dir=tmp_path, gcloud=None)
    pool.start_needed()
    assert pool.running == {}
    with pytest.raises(pytest.skip.Exception):
        pool.host("firestore")


def test_stop_ends_the_whole_process_group(tmp_path: Path) -> None:
    """gcloud starts a launcher that starts the JVM: stopping must reach the grandchildren too."""
    process = subprocess.Popen(
        ["sh", "-c", "sleep 300 & sleep 300 & wait"], start_new_session=True, stdout=subprocess.DEVNULL
    )
    emulator = Emulator("fake", "127.0.0.1:1", process, tmp_path / "log")
    assert _group_alive(process.pid)
    emulator.stop()
    assert not _group_alive(process.pid)
    assert process.returncode is not None
