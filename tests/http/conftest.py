"""``agentic-memory serve`` in a subprocess on a free port, for tests over real HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRETS

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_command() -> list[str]:
    """The installed console script, as a user runs it; the module path when running from a plain checkout."""
    script = Path(sys.executable).parent / "agentic-memory"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from functions.cli import main; main()"]


@dataclass
class Served:
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log: Path

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10)

    def wait_for(self, check: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.05)
        raise AssertionError("condition not met in time")


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    started: list[Served] = []

    def start(
        agent_type: str = "elevenlabs_customer_support",
        secrets: dict[str, str] | None = None,
        extra_args: list[str] | None = None,
        threads: int | None = 4,
    ) -> Served:
        port = free_port()
        data_dir = tmp_path / f"serve-{len(started)}"
        log = tmp_path / f"serve-{len(started)}.log"
        env = {k: v for k, v in os.environ.items() if k not in TEST_SECRETS and k != "AGENT_TYPE"}
        env.update(TEST_SECRETS if secrets is None else secrets)
        options = ["--port", str(port), "--agent-type", agent_type, "--data-dir", str(data_dir)]
        options += [] if threads is None else ["--threads", str(threads)]  # None: serve's own default
        command = [*serve_command(), "serve", *options, *(extra_args or [])]
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        served = Served(f"http://127.0.0.1:{port}", data_dir, process, log)
        started.append(served)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"serve exited with {process.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(f"{served.url}/healthz", timeout=1).status_code == 200:
                    return served
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError(f"serve did not become healthy:\n{log.read_text()}")

    yield start
    for served in started:
        if served.process.poll() is None:
            os.killpg(served.process.pid, signal.SIGTERM)
            try:
                served.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(served.process.pid, signal.SIGKILL)
