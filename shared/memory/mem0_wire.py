"""A small httpx client for the few Mem0 Platform calls we make, byte-compatible with mem0ai 2.x.

Why not ``mem0.MemoryClient``: importing it loads mem0ai's whole open-source stack (~0.7 s, ~790 modules)
and its constructor makes a blocking ``GET /v1/ping/`` with a 300 s default timeout, both on the pre-call
path. ``tests/memory/test_mem0_contract.py`` proves the requests below equal the real client's.

Every failure (timeout, connection error, non-2xx, a body that is not JSON) becomes ``StoreUnavailable``
except a 404 on a call that names one thing (``missing_ok``: a memory, an entity, the entity listing), which is
``NotFound``. A 404 anywhere else (a listing, a search, an add: a wrong ``MEM0_HOST`` or a proxy in the way) is
an outage like any other, so the pre-call still answers "new caller". Messages never carry the key, a body or a
caller id.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from shared.errors import NotFound, StoreUnavailable
from shared.secrets import Secret

DEFAULT_HOST = "https://api.mem0.ai"
CLIENT_NAME = "agentic-memory"

ADD = "/v3/memories/add/"
SEARCH = "/v3/memories/search/"
LIST = "/v3/memories/"
MEMORIES = "/v1/memories/"
BATCH = "/v1/batch/"
ENTITIES = "/v1/entities/"


def memory_path(mem0_id: str) -> str:
    return f"/v1/memories/{quote(mem0_id, safe='')}/"


def event_path(event_id: str) -> str:
    """An add's event: its ``status`` is PENDING, then SUCCEEDED or FAILED."""
    return f"/v1/event/{quote(event_id, safe='')}/"


def entity_path(kind: str, name: str) -> str:
    return f"/v2/entities/{quote(kind, safe='')}/{quote(name, safe='')}/"


class Deadline:
    """One budget shared by the requests of one store call, so paging cannot multiply the read timeout."""

    def __init__(self, seconds: float, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._end = monotonic() + seconds

    def remaining(self) -> float:
        left = self._end - self._monotonic()
        if left <= 0:
            raise StoreUnavailable("mem0 did not answer in time")
        return left


class Mem0Http:
    """Built once per container; holds one connection pool. ``transport`` is for tests."""

    def __init__(self, api_key: Secret, host: str = DEFAULT_HOST, *, transport: httpx.BaseTransport | None = None):
        if not api_key:
            raise ValueError("a Mem0 API key is required")
        key = api_key.reveal()
        self._client = httpx.Client(
            base_url=host.rstrip("/") or DEFAULT_HOST,
            headers={
                "Authorization": f"Token {key}",
                "Mem0-User-ID": hashlib.md5(key.encode()).hexdigest(),  # mem0ai's own key fingerprint
                "X-Mem0-Client": CLIENT_NAME,
            },
            transport=transport,
            follow_redirects=False,
        )

    def call(
        self,
        method: str,
        path: str,
        *,
        timeout: float | Deadline,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        missing_ok: bool = False,
    ) -> Any:
        """One request; returns the decoded JSON body (None for an empty one). ``missing_ok``: a 404 means the
        thing asked for is not there (``NotFound``), not that Mem0 is unusable."""
        seconds = timeout.remaining() if isinstance(timeout, Deadline) else timeout
        try:
            response = self._client.request(
                method,
                path,
                json=json,
                params={k: _param(v) for k, v in (params or {}).items() if v is not None} or None,
                timeout=httpx.Timeout(seconds),
            )
        except httpx.TimeoutException as exc:
            raise StoreUnavailable("mem0 did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise StoreUnavailable("mem0 could not be reached") from exc
        if response.status_code == 404 and missing_ok:
            raise NotFound("mem0 has no such memory or entity")
        if response.status_code >= 400:
            raise StoreUnavailable(f"mem0 answered HTTP {response.status_code}")
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise StoreUnavailable("mem0 answered with a body that is not JSON") from exc

    def close(self) -> None:
        self._client.close()


def _param(value: Any) -> str:
    """Query values as httpx renders them for mem0ai (``True`` -> ``true``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
