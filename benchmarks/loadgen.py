"""An HTTP load generator (httpx, one client per thread) and a /proc sampler for the server's process tree.

Open loop sends on a fixed schedule whatever the answers do (latency as callers see it at a given rate);
closed loop keeps N clients busy back to back (capacity). The generator records its own CPU time so a run can
show it was not the bottleneck.
"""

from __future__ import annotations

import itertools
import math
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

Build = Callable[[int], tuple[bytes, dict[str, str]]]
LATE_SECONDS = 0.005  # an open-loop send that starts later than this behind schedule counts as late


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    build: Build | None = None  # None: no body (GET)


@dataclass
class Result:
    endpoint: str
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: int = 0  # transport errors (no HTTP answer)
    elapsed: float = 0.0
    late: int = 0
    client_cpu: float = 0.0
    server_cpu: float = 0.0

    @property
    def errors(self) -> int:
        return self.failures + sum(n for status, n in self.statuses.items() if not 200 <= status < 300)

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile in milliseconds."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))] * 1000

    def merge(self, other: Result) -> Result:
        """Pool another slice of the same endpoint into this one."""
        self.latencies += other.latencies
        self.statuses.update(other.statuses)
        self.failures += other.failures
        self.elapsed += other.elapsed
        self.late += other.late
        self.client_cpu += other.client_cpu
        self.server_cpu += other.server_cpu
        return self

    @property
    def server_ms_per_request(self) -> float:
        """Server CPU per answered request: steadier than throughput on a shared machine."""
        return self.server_cpu / len(self.latencies) * 1000 if self.latencies else math.nan

    def cpu_share(self, seconds: float) -> float:
        """CPU seconds over the window as a share of one core."""
        return seconds / self.elapsed if self.elapsed else 0.0


def connected(base_url: str) -> httpx.Client:
    """A client with its keep-alive connection already open."""
    client = httpx.Client(base_url=base_url, timeout=30.0)
    client.get("/healthz").read()
    return client


def _send(client: httpx.Client, endpoint: Endpoint, index: int) -> tuple[float, int | None]:
    body, headers = endpoint.build(index) if endpoint.build else (b"", {})
    started = time.perf_counter()
    try:
        response = client.request(endpoint.method, endpoint.path, content=body or None, headers=headers)
        response.read()
        status: int | None = response.status_code
    except httpx.HTTPError:
        status = None
    return time.perf_counter() - started, status


class ProcessTree:
    """A process and its descendants, read from /proc (Linux)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._tick = os.sysconf("SC_CLK_TCK")

    def pids(self) -> list[int]:
        found, frontier = [self.pid], [self.pid]
        while frontier:
            parent = frontier.pop()
            children: list[int] = []
            for task in Path(f"/proc/{parent}/task").glob("*/children"):
                try:
                    children += [int(p) for p in task.read_text().split()]
                except OSError:
                    continue
            found += children
            frontier += children
        return found

    @staticmethod
    def _status_kb(pid: int, key: str) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(key):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    @staticmethod
    def _pss_kb(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def rss_kb(self) -> int:
        return sum(self._status_kb(pid, "VmRSS:") for pid in self.pids())

    def pss_kb(self) -> int:
        return sum(self._pss_kb(pid) for pid in self.pids())

    def cpu_seconds(self) -> float:
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / self._tick


class PeakMemory:
    """Samples the tree's RSS and PSS in a background thread; keeps the peaks."""

    def __init__(self, tree: ProcessTree, interval: float = 0.2) -> None:
        self._tree = tree
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self.peak_rss_kb = 0
        self.peak_pss_kb = 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self._interval)

    def sample(self) -> None:
        self.peak_rss_kb = max(self.peak_rss_kb, self._tree.rss_kb())
        self.peak_pss_kb = max(self.peak_pss_kb, self._tree.pss_kb())

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def open_loop(
    base_url: str,
    endpoint: Endpoint,
    *,
    rate: float,
    seconds: float,
    tree: ProcessTree,
    offset: int = 0,
    threads: int = 32,
) -> Result:
    """``rate`` requests per second for ``seconds``, each sent at its scheduled time by whichever thread is free."""
    total = max(1, round(rate * seconds))
    result = Result(endpoint.name)
    lock = threading.Lock()
    indices = itertools.count()
    crashed: list[Exception] = []
    clients = [connected(base_url) for _ in range(threads)]  # set-up (TLS context, connect) is not measured
    start = time.perf_counter() + 0.05

    def run(client: httpx.Client) -> None:
        try:
            while (i := next(indices)) < total:
                due = start + i / rate
                if (delay := due - time.perf_counter()) > 0:
                    time.sleep(delay)
                late = time.perf_counter() - due > LATE_SECONDS
                latency, status = _send(client, endpoint, offset + i)
                with lock:
                    result.late += late
                    if status is None:
                        result.failures += 1
                    else:
                        result.latencies.append(latency)
                        result.statuses[status] += 1
        except Exception as exc:  # a generator bug must stop the run, not read as a quiet server
            crashed.append(exc)
        finally:
            client.close()

    cpu_client, cpu_server = time.process_time(), tree.cpu_seconds()
    workers = [threading.Thread(target=run, args=(client,), name=f"open-{n}") for n, client in enumerate(clients)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if crashed:
        raise crashed[0]
    result.elapsed = time.perf_counter() - start
    result.client_cpu = time.process_time() - cpu_client
    result.server_cpu = tree.cpu_seconds() - cpu_server
    return result


def closed_loop(
    base_url: str,
    endpoint: Endpoint,
    *,
    clients: int,
    seconds: float,
    tree: ProcessTree,
    warmup: float = 1.0,
    offset: int = 0,
) -> Result:
    """``clients`` threads back to back; only answers completed inside the measured window count."""
    stop = threading.Event()
    window: list[float] = []
    done: list[list[tuple[float, float, int | None]]] = [[] for _ in range(clients)]
    indices = itertools.count(offset)

    crashed: list[Exception] = []

    def run(mine: list[tuple[float, float, int | None]]) -> None:
        try:
            with httpx.Client(base_url=base_url, timeout=30.0) as client:
                while not stop.is_set():
                    latency, status = _send(client, endpoint, next(indices))
                    mine.append((time.perf_counter(), latency, status))
        except Exception as exc:
            crashed.append(exc)

    workers = [threading.Thread(target=run, args=(done[n],), name=f"closed-{n}") for n in range(clients)]
    for worker in workers:
        worker.start()
    time.sleep(warmup)
    cpu_client, cpu_server = time.process_time(), tree.cpu_seconds()
    window.append(time.perf_counter())
    time.sleep(seconds)
    window.append(time.perf_counter())
    result = Result(endpoint.name, elapsed=window[1] - window[0])
    result.client_cpu = time.process_time() - cpu_client
    result.server_cpu = tree.cpu_seconds() - cpu_server
    stop.set()
    for worker in workers:
        worker.join()
    if crashed:
        raise crashed[0]
    for finished, latency, status in itertools.chain.from_iterable(done):
        if not window[0] <= finished <= window[1]:
            continue
        if status is None:
            result.failures += 1
        else:
            result.latencies.append(latency)
            result.statuses[status] += 1
    return result
