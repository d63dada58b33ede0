"""The mem0 pending log's writes in a versioned S3 bucket: rewritten in place (``Archive.replace``) against the
previous delete-then-create, measured in the same run on moto.

Each caller's record is written as the worker writes it: once per add Mem0 accepted (``put``), then emptied once
Mem0 lists them (``remove``). Printed per scheme: S3 requests per write, object versions and delete markers left
in the bucket afterwards (what an erasure would otherwise have to find, and what holds the caller's words), and the
time per write relative to the baseline. moto answers in-process, so the time ratio shows the extra work, not the
network: deployed, each S3 request costs roughly 10-30 ms from Lambda, so the request count is what matters.
Reads (the pre-call path) are one ``GetObject`` in both schemes and are not measured here.

    python benchmarks/bench_pending_log.py [--callers 50] [--adds 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from functions.aws.archive import S3Archive  # noqa: E402
from shared.ingest.ports import ArchivedEvent  # noqa: E402
from shared.memory.mem0_pending import ArchivePendingLog, PendingMemory  # noqa: E402
from shared.memory.models import Memory  # noqa: E402
from shared.secrets import Secret  # noqa: E402

KEY = Secret("bench-caller-ref-key-0123456789-abcdefghijkl")
NOW = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)


class Counting:
    """An S3 client that counts the requests made through it (a paginator's pages count as one each)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.requests: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._client, name)
        if name == "get_paginator":
            return lambda op: _CountingPaginator(target(op), op, self.requests)
        if not callable(target):
            return target

        def call(**kwargs: Any) -> Any:
            self.requests[name] += 1
            return target(**kwargs)

        return call


class _CountingPaginator:
    def __init__(self, paginator: Any, op: str, requests: Counter[str]) -> None:
        self._paginator, self._op, self._requests = paginator, op, requests

    def paginate(self, **kwargs: Any) -> Any:
        for page in self._paginator.paginate(**kwargs):
            self._requests[self._op] += 1
            yield page


class DeleteThenCreate(S3Archive):
    """The previous rewrite: a plain delete (a marker in a versioned bucket) and a create-only put."""

    def replace(self, event: ArchivedEvent) -> None:
        self.delete(event.key)
        self.put_if_absent(event)

    def purge(self, key: str) -> None:
        self.delete(key)


def run(scheme: type[S3Archive], s3: Any, bucket: str, callers: int, adds: int) -> tuple[float, int, int, int]:
    """Returns (seconds per write, requests per write, versions left, delete markers left)."""
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    counting = Counting(s3)
    log = ArchivePendingLog(
        scheme(bucket, s3_client=counting, prefix="mem0-pending/"), agent_type="bench", name_key=KEY, clock=lambda: NOW
    )
    writes = 0
    started = time.perf_counter()
    for caller in range(callers):
        user = f"+1555555{caller:04d}"
        ids = []
        for add in range(adds):
            memory = Memory(f"m{caller}-{add}", user, "bench", "factual", f"call {add} of caller {caller}", NOW, None)
            log.put(user, [PendingMemory(memory, NOW)])
            ids.append(memory.id)
            writes += 1
        log.remove(user, ids)
        writes += 1
    elapsed = time.perf_counter() - started
    listing = s3.list_object_versions(Bucket=bucket)
    versions, markers = len(listing.get("Versions", [])), len(listing.get("DeleteMarkers", []))
    return elapsed / writes, sum(counting.requests.values()) / writes, versions, markers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callers", type=int, default=50)
    parser.add_argument("--adds", type=int, default=3)
    args = parser.parse_args()

    import boto3
    from moto import mock_aws

    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        base = run(DeleteThenCreate, s3, "bench-before", args.callers, args.adds)
        now = run(S3Archive, s3, "bench-after", args.callers, args.adds)
    print(f"{args.callers} callers x ({args.adds} adds + 1 removal) on a versioned bucket (moto)")
    print(f"{'scheme':<32}{'ms/write':>10}{'requests/write':>16}{'versions left':>15}{'markers left':>14}")
    for name, (seconds, requests, versions, markers) in (
        ("delete, then create (baseline)", base),
        ("replace, then drop older (now)", now),
    ):
        print(f"{name:<32}{seconds * 1000:>10.2f}{requests:>16.2f}{versions:>15}{markers:>14}")
    print(f"time ratio now/baseline: {now[0] / base[0]:.2f}x; requests ratio: {now[1] / base[1]:.2f}x")
    print(f"left behind per caller: baseline {(base[2] + base[3]) / args.callers:.1f} objects, now {now[2] + now[3]}")


if __name__ == "__main__":
    main()
