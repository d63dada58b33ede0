"""A local Mem0 Platform (v3 API, as mem0ai 2.2.1 speaks it) on a real socket, for every test that needs Mem0.

It implements the calls the real ``MemoryClient`` and our backend make: ping, add, search, list (paged),
get, delete, delete_all, batch delete and delete entity, with the Platform v3 filter language (AND/OR/NOT,
entity ids with ``*``, metadata equality/contains/ne, time fields with gt/gte/lt/lte), day-granular
``expiration_date`` that hides but never deletes, and Mem0's 400s for what the Platform rejects
(top-level entity ids on search/list, unknown filter keys, ``in`` on metadata).

Every request is recorded (method, path, query, JSON body, headers). Switches model failures:
``stalled`` (hold every answer until ``resume()``), ``delay`` (seconds before each answer),
``fail_with`` (answer that status), ``hold_adds`` (adds are accepted but invisible until
``release_adds()``), ``add_delay`` (seconds before an add shows), ``delete_all_limit``
(``DELETE /v1/memories/`` removes at most N per call, as seen in mem0#4957), ``entities_page_size``
(``GET /v1/entities/`` answers in pages of N with a ``next`` link).

The entity listing answers as the Platform does: ``{count, next, previous, results}`` with one row per user,
agent, app or run (``id, name, type, created_at, updated_at, total_memories, owner, organization,
metadata``); an entity shows once one of its adds has been processed, and stays until it is deleted.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

if TYPE_CHECKING:
    from shared.memory.mem0 import Mem0MemoryStore

API_KEY = "m0-test-key-not-a-secret"
ENTITY_KEYS = ("user_id", "agent_id", "app_id", "run_id")
TIME_KEYS = ("created_at", "updated_at", "timestamp", "expiration_date")
FILTER_KEYS = {*ENTITY_KEYS, *TIME_KEYS, "text", "categories", "metadata", "keywords", "memory_ids", "keywords_search"}
_WORD = re.compile(r"\w+")


class BadRequest(Exception):
    """Answered as 400 with ``{"detail": ...}``, like the Platform."""


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str] = field(compare=False)


@dataclass
class _Stored:
    item: dict[str, Any]
    visible_at: float


@dataclass
class _Entity:
    id: str
    created_at: str
    visible_at: float


class FakeMem0Server:
    """Use as a context manager; ``url`` is the base URL to give a client."""

    def __init__(self, api_key: str = API_KEY, *, today: Callable[[], date] | None = None) -> None:
        self.api_key = api_key
        self.today = today or (lambda: datetime.now(UTC).date())
        self.requests: list[RecordedRequest] = []
        self.stalled = False
        self.delay = 0.0
        self.fail_with: int | None = None
        self.hold_adds = False
        self.fail_adds = False  # accept adds (PENDING), then fail them: nothing is stored, the event says FAILED
        self.add_delay = 0.0
        self.delete_all_limit: int | None = None
        self.entities_page_size = 100
        self._memories: dict[str, _Stored] = {}
        self._entities: dict[tuple[str, str], _Entity] = {}
        self._events: dict[str, str] = {}  # add event id -> status
        self._lock = threading.RLock()
        self._resume = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # -- lifecycle and switches ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeMem0Server:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.resume()
        self._httpd.shutdown()
        self._httpd.server_close()

    def stall(self) -> None:
        self._resume.clear()
        self.stalled = True

    def resume(self) -> None:
        self.stalled = False
        self._resume.set()

    def release_adds(self) -> None:
        with self._lock:
            self.hold_adds = False
            now = time.monotonic()
            for stored in [*self._memories.values(), *self._entities.values()]:
                stored.visible_at = min(stored.visible_at, now)

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    # -- inspection ------------------------------------------------------------------------------------

    def memories(self, *, include_invisible: bool = True) -> list[dict[str, Any]]:
        """Every stored item (expired ones too), for assertions."""
        with self._lock:
            now = time.monotonic()
            return [dict(s.item) for s in self._memories.values() if include_invisible or s.visible_at <= now]

    def seed(self, item: dict[str, Any]) -> str:
        """Store an item directly (e.g. one written by another tool); returns its Mem0 id."""
        with self._lock:
            stored = {"id": str(uuid.uuid4()), "metadata": {}, "expiration_date": None, "categories": [], **item}
            stored.setdefault("created_at", datetime.now(UTC).isoformat())
            stored.setdefault("updated_at", stored["created_at"])
            self._memories[stored["id"]] = _Stored(stored, 0.0)
            if stored.get("user_id"):
                self._register("user", stored["user_id"], 0.0)
            return str(stored["id"])

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and r.path == path]

    # -- endpoints -------------------------------------------------------------------------------------

    def answer(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        route = (method, path)
        if route == ("GET", "/v1/ping/"):
            return 200, {"status": "ok", "org_id": "org-test", "project_id": "proj-test", "user_email": None}
        if route == ("POST", "/v3/memories/add/"):
            return self._add(body)
        if route == ("POST", "/v3/memories/search/"):
            return self._search(body)
        if route == ("POST", "/v3/memories/"):
            return self._list(body, query)
        if route == ("DELETE", "/v1/memories/"):
            return self._delete_all(query)
        if route == ("DELETE", "/v1/batch/"):
            return self._batch_delete(body)
        if route == ("GET", "/v1/entities/"):
            return self._list_entities(query)
        if (match := re.fullmatch(r"/v1/event/([^/]+)/", path)) and method == "GET":
            return self._event(unquote(match.group(1)))
        if match := re.fullmatch(r"/v1/memories/([^/]+)/", path):
            return self._one(method, unquote(match.group(1)))
        if (match := re.fullmatch(r"/v2/entities/([^/]+)/([^/]+)/", path)) and method == "DELETE":
            return self._delete_entity(unquote(match.group(1)), unquote(match.group(2)))
        return 404, {"detail": "Not found."}

    def _add(self, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            raise BadRequest("messages is required")
        entities = {k: body[k] for k in ENTITY_KEYS if body.get(k)}
        if not entities:
            raise BadRequest("at least one of user_id, agent_id, app_id, run_id is required")
        created = body.get("timestamp")
        created_at = datetime.fromtimestamp(created, UTC) if created is not None else datetime.now(UTC)
        visible_at = float("inf") if self.hold_adds else time.monotonic() + self.add_delay
        event_id = str(uuid.uuid4())
        with self._lock:
            self._events[event_id] = "FAILED" if self.fail_adds else "PENDING" if self.hold_adds else "SUCCEEDED"
            for message in body["messages"] if not self.fail_adds else []:
                if message.get("role") == "system" or not message.get("content"):
                    continue
                item = {
                    "id": str(uuid.uuid4()),
                    "memory": message["content"],
                    **{k: entities.get(k) for k in ENTITY_KEYS},
                    "metadata": body.get("metadata") or {},
                    "categories": [],
                    "expiration_date": body.get("expiration_date"),
                    "created_at": created_at.isoformat(),
                    "updated_at": created_at.isoformat(),
                }
                self._memories[item["id"]] = _Stored(item, visible_at)
                for key, name in entities.items():
                    self._register(key.removesuffix("_id"), name, visible_at)
        return 200, {"event_id": event_id, "status": "PENDING", "message": "Memory processing queued"}

    def _event(self, event_id: str) -> tuple[int, Any]:
        with self._lock:
            status = self._events.get(event_id)
        if status is None:
            return 404, {"detail": "Event not found."}
        return 200, {"id": event_id, "event_type": "ADD", "status": status}

    def _search(self, body: Any) -> tuple[int, Any]:
        _reject_top_level_entities(body)
        query = str(body.get("query") or "").strip()
        if not query:
            raise BadRequest("query is required")
        top_k = int(body.get("top_k", 10))
        threshold = float(body.get("threshold", 0.1))
        words = set(_WORD.findall(query.lower()))
        scored = []
        for item in self._visible(body.get("filters"), show_expired=bool(body.get("show_expired"))):
            text_words = set(_WORD.findall(str(item["memory"]).lower()))
            score = len(words & text_words) / max(len(words), 1)
            if score >= threshold:
                scored.append({**item, "score": round(score, 4)})
        scored.sort(key=lambda it: it["score"], reverse=True)
        return 200, {"results": scored[:top_k]}

    def _list(self, body: Any, query: dict[str, str]) -> tuple[int, Any]:
        _reject_top_level_entities(body)
        page, size = int(query.get("page", 1)), int(query.get("page_size", 100))
        items = sorted(
            self._visible(body.get("filters"), show_expired=bool(body.get("show_expired"))),
            key=lambda it: it["created_at"],
            reverse=True,
        )
        chunk = items[(page - 1) * size : page * size]
        more = page * size < len(items)
        return 200, {
            "count": len(items),
            "next": f"{self.url}/v3/memories/?page={page + 1}&page_size={size}" if more else None,
            "previous": f"{self.url}/v3/memories/?page={page - 1}&page_size={size}" if page > 1 else None,
            "results": chunk,
        }

    def _one(self, method: str, mem0_id: str) -> tuple[int, Any]:
        with self._lock:
            stored = self._memories.get(mem0_id)
            if stored is None or stored.visible_at > time.monotonic():
                return 404, {"detail": "Memory not found."}
            if method == "GET":
                return 200, dict(stored.item)
            if method == "DELETE":
                del self._memories[mem0_id]
                return 200, {"message": "Memory deleted successfully!"}
        return 405, {"detail": "Method not allowed."}

    def _delete_all(self, query: dict[str, str]) -> tuple[int, Any]:
        conditions = {k: v for k, v in query.items() if k in ENTITY_KEYS}
        if not conditions:
            raise BadRequest("at least one filter is required to delete all memories")
        with self._lock:
            doomed = [
                mid
                for mid, s in self._memories.items()
                if s.visible_at <= time.monotonic()
                and all(_entity_match(s.item.get(k), v) for k, v in conditions.items())
            ]
            for mid in doomed[: self.delete_all_limit]:
                del self._memories[mid]
        return 200, {"message": "Memories deleted successfully!"}

    def _batch_delete(self, body: Any) -> tuple[int, Any]:
        rows = body.get("memories") if isinstance(body, dict) else None
        if not isinstance(rows, list) or len(rows) > 1000:
            raise BadRequest("memories must be a list of at most 1000 items")
        with self._lock:
            for row in rows:
                self._memories.pop(str(row.get("memory_id")), None)
        return 200, {"message": f"Successfully deleted {len(rows)} memories"}

    def _delete_entity(self, kind: str, name: str) -> tuple[int, Any]:
        with self._lock:
            if (kind, name) not in self._entities:
                return 404, {"detail": "Entity not found."}
            del self._entities[(kind, name)]
            key = f"{kind}_id"
            for mid in [mid for mid, s in self._memories.items() if s.item.get(key) == name]:
                del self._memories[mid]
        return 200, {"message": "Entity deleted successfully!"}

    def _register(self, kind: str, name: str, visible_at: float) -> None:
        entity = self._entities.get((kind, name))
        if entity is None:
            moment = datetime.now(UTC).isoformat()
            self._entities[(kind, name)] = _Entity(str(uuid.uuid4()), moment, visible_at)
        else:
            entity.visible_at = min(entity.visible_at, visible_at)

    def _list_entities(self, query: dict[str, str]) -> tuple[int, Any]:
        page, size = int(query.get("page", 1)), int(query.get("page_size", self.entities_page_size))
        with self._lock:
            now = time.monotonic()
            rows = []
            for (kind, name), entity in sorted(self._entities.items()):
                if entity.visible_at > now:
                    continue
                key = f"{kind}_id"
                total = sum(1 for s in self._memories.values() if s.visible_at <= now and s.item.get(key) == name)
                rows.append(
                    {
                        "id": entity.id,
                        "name": name,
                        "type": kind,
                        "created_at": entity.created_at,
                        "updated_at": entity.created_at,
                        "total_memories": total,
                        "owner": "owner-test",
                        "organization": "org-test",
                        "metadata": {},
                    }
                )
        more = page * size < len(rows)
        return 200, {
            "count": len(rows),
            "next": f"{self.url}/v1/entities/?page={page + 1}&page_size={size}" if more else None,
            "previous": f"{self.url}/v1/entities/?page={page - 1}&page_size={size}" if page > 1 else None,
            "results": rows[(page - 1) * size : page * size],
        }

    def _visible(self, filters: Any, *, show_expired: bool) -> Iterator[dict[str, Any]]:
        if not isinstance(filters, dict) or not filters:
            raise BadRequest("filters is required")
        today = self.today().isoformat()
        with self._lock:
            now = time.monotonic()
            items = [dict(s.item) for s in self._memories.values() if s.visible_at <= now]
        for item in items:
            expired = item.get("expiration_date") is not None and item["expiration_date"] < today
            if (show_expired or not expired) and _matches(item, filters):
                yield item


# -- the v3 filter language -------------------------------------------------------------------------------


def _reject_top_level_entities(body: Any) -> None:
    if not isinstance(body, dict):
        raise BadRequest("a JSON object is required")
    if any(k in body for k in ENTITY_KEYS):
        raise BadRequest("entity ids must be passed inside filters")


def _matches(item: dict[str, Any], condition: Any) -> bool:
    if not isinstance(condition, dict):
        raise BadRequest("a filter must be an object")
    results = []
    for key, value in condition.items():
        if key in ("AND", "OR"):
            if not isinstance(value, list):
                raise BadRequest(f"{key} takes a list")
            parts = [_matches(item, part) for part in value]
            results.append(all(parts) if key == "AND" else any(parts))
        elif key == "NOT":
            parts = value if isinstance(value, list) else [value]
            results.append(not any(_matches(item, part) for part in parts))
        elif key in ENTITY_KEYS:
            results.append(_entity_match(item.get(key), value))
        elif key in TIME_KEYS:
            results.append(_time_match(item.get(key), value))
        elif key == "metadata":
            results.append(_metadata_match(item.get("metadata") or {}, value))
        elif key == "memory_ids":
            results.append(item["id"] in (value or []))
        elif key in FILTER_KEYS:
            results.append(str(value).lower() in str(item.get("memory", "")).lower())
        else:
            raise BadRequest(f"unknown filter key {key!r}")
    return all(results)


def _entity_match(actual: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        (op, operand), *rest = expected.items()
        if rest or op not in ("eq", "ne", "in"):
            raise BadRequest(f"unsupported entity operator {op!r}")
        return {"eq": actual == operand, "ne": actual != operand, "in": actual in (operand or [])}[op]
    if expected == "*":
        return actual is not None
    return bool(actual == expected)


def _time_match(actual: Any, expected: Any) -> bool:
    if not isinstance(expected, dict):
        return actual is not None and str(actual)[:10] == str(expected)[:10]
    if "eq" in expected:
        raise BadRequest("time fields take a bare value, not eq")
    if actual is None:
        return False
    checks = {
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
        "ne": lambda a, b: a != b,
        "in": lambda a, b: a in b,
    }
    for op, operand in expected.items():
        if op not in checks:
            raise BadRequest(f"unsupported time operator {op!r}")
        width = len(str(operand)) if op != "in" else 10
        if not checks[op](str(actual)[:width], operand):
            return False
    return True


def _metadata_match(metadata: dict[str, Any], expected: Any) -> bool:
    if not isinstance(expected, dict):
        raise BadRequest("metadata filter must be an object")
    for key, value in expected.items():
        actual = metadata.get(key)
        if isinstance(value, dict):
            (op, operand), *rest = value.items()
            if rest or op not in ("eq", "contains", "ne"):
                raise BadRequest(f"metadata supports eq, contains and ne only, not {op!r}")
            ok = {"eq": actual == operand, "ne": actual != operand, "contains": str(operand) in str(actual or "")}[op]
        else:
            ok = actual == value
        if not ok:
            return False
    return True


# -- the HTTP layer -------------------------------------------------------------------------------------------


def _handler_for(server: FakeMem0Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms delayed-ACK stall

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PUT(self) -> None:
            self._serve()

        def do_DELETE(self) -> None:
            self._serve()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read ``server.requests`` instead."""

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            with server._lock:
                server.requests.append(
                    RecordedRequest(
                        self.command, parts.path, query, body, {k.lower(): v for k, v in self.headers.items()}
                    )
                )
            if server.stalled:
                server._resume.wait(timeout=60)
            if server.delay:
                time.sleep(server.delay)
            if server.fail_with is not None:
                return self._send(server.fail_with, {"detail": "Internal server error."})
            if self.headers.get("authorization") != f"Token {server.api_key}":
                return self._send(401, {"detail": "Invalid API key."})
            try:
                status, payload = server.answer(self.command, parts.path, query, body)
            except BadRequest as exc:
                status, payload = 400, {"detail": str(exc)}
            self._send(status, payload)

        def _send(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test): nothing to answer

    return Handler


def serve_store(**options: Any) -> Mem0MemoryStore:
    """A ``Mem0MemoryStore`` on a fresh fake server that stops when the store is closed (behaviour suite factory)."""
    from shared.memory.mem0 import Mem0MemoryStore
    from shared.secrets import Secret

    server = FakeMem0Server().__enter__()

    class ServedStore(Mem0MemoryStore):
        fake = server

        def close(self) -> None:
            super().close()
            server.close()

    options = {"read_timeout": 2.0, "write_timeout": 5.0, "poll_interval": 0.01, **options}
    return ServedStore(Secret(API_KEY), server.url, **options)
