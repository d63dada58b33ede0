"""The gcloud emulators (Firestore, Pub/Sub) as processes the test session starts once and always stops.

Each runs ``gcloud [beta] emulators NAME start --host-port=127.0.0.1:PORT`` on a free port in its own process
group, so stopping it ends gcloud's wrapper and the Java server beneath it together (no Java process is left
behind). The emulators the selected tests need start side by side as soon as the tests are collected (each takes
5 to 12 s to boot, mostly JVM start-up), so they boot while other tests run; a test waits only for the one it
uses. Where ``gcloud`` is missing, a local run skips these tests with a notice; with ``CI`` set, a missing or
broken emulator fails the run instead.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

#: Emulator name -> the environment variable its client library follows.
EMULATOR_HOST_VARIABLES = {"firestore": "FIRESTORE_EMULATOR_HOST", "pubsub": "PUBSUB_EMULATOR_HOST"}
#: Emulator name -> its gcloud command (gcloud 528 ships the Pub/Sub emulator in the beta track only).
EMULATOR_COMMANDS = {
    "firestore": ("emulators", "firestore", "start"),
    "pubsub": ("beta", "emulators", "pubsub", "start"),
}
#: The emulators serve tests, not peak load: the client JIT only, one compiler thread and the serial collector boot
#: them and answer the first requests sooner on 2 shared cores (measured: ready 7.6 s against 10.6 s, 20 write+read
#: rounds 3.3 s against 5.9 s).
JAVA_TOOL_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:+UseSerialGC"
BOOT_SECONDS = 120.0  # about 12 s on an idle machine; generous for 2 busy cores
STOP_SECONDS = 10.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def unavailable(reason: str, environ: Mapping[str, str] = os.environ) -> None:
    """Skip locally with a notice; fail under CI, which must never skip the emulator tests."""
    if environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the emulator tests: install google-cloud-cli's emulators and Java 17)")
    pytest.skip(f"{reason}: emulator tests skipped on this machine (CI runs them)")


@dataclass
class Emulator:
    name: str
    host: str
    process: subprocess.Popen[bytes]
    log_path: Path
    ready: bool = False

    def wait_ready(self, deadline: float) -> None:
        """Both emulators answer ``GET /`` with 200 once they serve."""
        while not self.ready:
            if self.process.poll() is not None:
                raise RuntimeError(f"the {self.name} emulator exited ({self.process.returncode}): {self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {self.name} emulator was not ready in {BOOT_SECONDS:.0f} s: {self.log_tail()}")
            with (
                contextlib.suppress(OSError, urllib.error.URLError),
                urllib.request.urlopen(f"http://{self.host}/", timeout=1) as answer,
            ):
                self.ready = answer.status == 200
            if not self.ready:
                time.sleep(0.2)

    def log_tail(self, lines: int = 15) -> str:
        try:
            return " | ".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """The whole process group: gcloud, its launcher script and the JVM."""
        if self.process.poll() is None or _group_alive(self.process.pid):
            for sig, wait in ((signal.SIGTERM, STOP_SECONDS), (signal.SIGKILL, STOP_SECONDS)):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, sig)
                end = time.monotonic() + wait
                while _group_alive(self.process.pid) and time.monotonic() < end:
                    time.sleep(0.1)
                    self.process.poll()
                if not _group_alive(self.process.pid):
                    break
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=1)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # zombies still count for killpg: the group is gone when every member is only a zombie
    return any(_state(pid) not in ("Z", "") for pid in _group_members(pgid))


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid:
                    members.append(int(entry.name))
    return members


def _state(pid: int) -> str:
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split() or [""])[0]
    except OSError:
        return ""


@dataclass
class EmulatorPool:
    """Starts the emulators a session needs at the first request of any of them; stops them all at the end."""

    needed: set[str] = field(default_factory=set)
    running: dict[str, Emulator] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    log_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="agentic-memory-emulators-")))
    gcloud: str | None = field(default_factory=lambda: shutil.which("gcloud"))

    def host(self, name: str) -> str:
        """``127.0.0.1:PORT`` of a ready emulator; skips (locally) or fails (CI) when it cannot run."""
        if self.gcloud is None:
            unavailable("gcloud is not installed")
        if name in self.failures:
            unavailable(self.failures[name])
        self._start({name} | self.needed)
        emulator = self.running[name]
        try:
            emulator.wait_ready(time.monotonic() + BOOT_SECONDS)
        except RuntimeError as exc:
            self.failures[name] = str(exc)
            unavailable(str(exc))
        return emulator.host

    def start_needed(self) -> None:
        """Boot what the session will use, without waiting (nothing happens where gcloud is missing)."""
        if self.gcloud is not None:
            self._start(self.needed)

    def _start(self, names: Iterable[str]) -> None:
        assert self.gcloud is not None
        for name in sorted(set(names) - self.running.keys()):
            host = f"127.0.0.1:{free_port()}"
            log_path = self.log_dir / f"{name}.log"
            with log_path.open("wb") as log:
                process = subprocess.Popen(
                    [self.gcloud, *EMULATOR_COMMANDS[name], f"--host-port={host}", "--quiet"],
                    stdin=subprocess.DEVNULL,
                    env={**os.environ, "JAVA_TOOL_OPTIONS": JAVA_TOOL_OPTIONS},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group: stop() ends gcloud and the JVM together
                )
            self.running[name] = Emulator(name, host, process, log_path)
            atexit.register(self.running[name].stop)  # also when the session is interrupted

    def stop(self) -> None:
        for emulator in self.running.values():
            emulator.stop()
        self.running.clear()
        shutil.rmtree(self.log_dir, ignore_errors=True)  # a failure already quoted its log's tail


__all__ = ["EMULATOR_HOST_VARIABLES", "Emulator", "EmulatorPool", "free_port", "unavailable"]
