"""``serve`` with its default single request thread: connections that send nothing, or stop sending, never hold the
pre-call hook.

A browser preconnects to the console's host and leaves the socket idle; a tunnel keeps a pool. With gunicorn's sync
worker one such connection held every route until it closed; the gthread worker waited 5 s for its first bytes.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from urllib.parse import urlparse

import httpx

from tests.conftest import TEST_SECRETS
from tests.http.conftest import Served

CALLER = "+15555550123"


@contextmanager
def stalled_connections(url: str, idle: int, half_sent: int) -> Iterator[None]:
    address = urlparse(url)
    with ExitStack() as stack:
        for _ in range(idle):
            stack.enter_context(socket.create_connection((address.hostname, address.port)))
        for _ in range(half_sent):
            sock = stack.enter_context(socket.create_connection((address.hostname, address.port)))
            sock.sendall(b"POST /client-data HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n{")
        yield


def test_idle_connections_do_not_hold_the_pre_call_hook(serve: Callable[..., Served]) -> None:
    served = serve(threads=None)
    workspace = {"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}
    with stalled_connections(served.url, idle=3, half_sent=0), httpx.Client(base_url=served.url, timeout=2.5) as http:
        # well under gunicorn's own 5 s wait for a connection's first bytes: a held server would time out here
        for _ in range(3):
            answer: Any = http.post("/client-data", json={"caller_id": CALLER}, headers=workspace)
            assert answer.status_code == 200 and answer.json()["type"] == "conversation_initiation_client_data"
            assert http.get("/healthz").status_code == 200


def test_a_path_the_router_refuses_still_gets_a_json_error(serve: Callable[..., Served]) -> None:
    served = serve()
    with served.client() as http:
        answer = http.get("/console/x%0d%0ay")
    assert answer.status_code == 404 and answer.headers["content-type"] == "application/json"
    assert answer.json() == {"error": "not found"}


def test_a_request_sent_a_moment_after_connecting_is_answered(serve: Callable[..., Served]) -> None:
    """A connection handed to the poller waits for its bytes there: with keep-alive off, gunicorn closed it at once
    (a loaded client that sends 100 ms after connecting got no answer)."""
    import time

    served = serve(threads=None)
    address = urlparse(served.url)
    with socket.create_connection((address.hostname, address.port), timeout=5) as sock:
        time.sleep(0.3)  # well past the 50 ms a request thread waits for the first bytes
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 200")


def test_a_body_that_stops_arriving_is_refused_and_frees_the_pre_call_hook(serve: Callable[..., Served]) -> None:
    """A sender that stops mid-body (a dropped link) held the one request thread, and every call behind it, for as
    long as it kept the connection open: its body may now pause 2 s at most, then it is answered 408 and closed."""
    import time

    served = serve(threads=None)
    address = urlparse(served.url)
    workspace = {"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}
    with socket.create_connection((address.hostname, address.port)) as stalled:
        stalled.sendall(
            b"POST /client-data HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Workspace-Key: "
            + workspace["X-Workspace-Key"].encode()
            + b'\r\nContent-Length: 200\r\n\r\n{"caller_id": '
        )
        time.sleep(0.3)  # its thread is reading the body now
        started = time.monotonic()
        with httpx.Client(base_url=served.url, timeout=10) as http:
            answer: Any = http.post("/client-data", json={"caller_id": CALLER}, headers=workspace)
        assert answer.status_code == 200 and time.monotonic() - started < 4
        stalled.settimeout(5)
        refused = stalled.recv(4096)
    assert refused.startswith(b"HTTP/1.1 408") and b"did not arrive" in refused
    assert CALLER.encode() not in refused


def test_headers_that_stop_arriving_free_the_pre_call_hook(serve: Callable[..., Served]) -> None:
    """A sender that stops half-way through its headers (a slow-loris client, a dropped link) held the one request
    thread, and every pre-call behind it, for as long as it kept the connection open: it is closed after 2 s."""
    import time

    served = serve(threads=None)
    address = urlparse(served.url)
    workspace = {"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}
    with socket.create_connection((address.hostname, address.port)) as stalled:
        stalled.sendall(b"POST /client-data HTTP/1.1\r\nHost: x\r\nContent-Type: application/js")
        time.sleep(0.3)  # its thread is reading the headers now
        started = time.monotonic()
        with httpx.Client(base_url=served.url, timeout=10) as http:
            answer: Any = http.post("/client-data", json={"caller_id": CALLER}, headers=workspace)
        assert answer.status_code == 200 and time.monotonic() - started < 4
        stalled.settimeout(5)
        assert stalled.recv(4096) == b""  # closed, nothing said to a request that never was one
    logged = served.log.read_text()
    assert "headers stopped arriving for 2 s" in logged and "Traceback" not in logged


def _peak_kib(process_group: int) -> int:
    """The largest peak resident set (VmHWM) among serve's processes (gunicorn's arbiter and its worker)."""
    import subprocess

    pids = subprocess.run(["pgrep", "-g", str(process_group)], capture_output=True, text=True).stdout.split()
    peaks = [0]
    for pid in pids:
        with open(f"/proc/{pid}/status") as status:
            peaks += [int(line.split()[1]) for line in status if line.startswith("VmHWM")]
    return max(peaks)


def test_a_huge_body_is_refused_without_being_buffered(serve: Callable[..., Served]) -> None:
    """functions-framework read the rest of every body after the answer: a 200 MB pre-call took serve from 47 to
    257 MB (a 2 GB one, its whole memory) and held its one request thread while the sender sent it all."""
    served = serve(threads=None)
    before = _peak_kib(served.process.pid)
    huge = b'{"caller_id": "' + b"1" * (120 * 1024 * 1024) + b'"}'
    workspace = {"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}
    with httpx.Client(base_url=served.url, timeout=60) as http:
        answer = http.post("/client-data", content=huge, headers=workspace)
        assert answer.status_code == 413 and answer.headers["content-type"] == "application/json"
        assert _peak_kib(served.process.pid) - before < 60 * 1024
        assert http.get("/healthz").status_code == 200
