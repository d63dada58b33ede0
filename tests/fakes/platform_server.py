"""A platform API on a real socket (127.0.0.1): a route table, the caller's key checked, every request recorded.

The three platform fakes (``elevenlabs_api``, ``vapi_api``, ``retell_api``) subclass it with their paths,
objects and error bodies, shaped by the official SDKs' request and response models.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

Handler = Callable[..., tuple[int, Any]]


@dataclass
class Call:
    method: str
    path: str
    json: Any
    headers: dict[str, str] = field(compare=False, repr=False)


class FakePlatform:
    """Subclasses fill ``routes`` with ``(method, path regex, handler)``; ``handler(body, *groups)``."""

    key_header = "authorization"
    key_prefix = "Bearer "

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.calls: list[Call] = []
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method, re.compile(f"^{pattern}$"), handler))

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakePlatform:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def writes(self) -> list[Call]:
        return [call for call in self.calls if call.method != "GET"]

    def unauthorized(self) -> tuple[int, Any]:
        return 401, {"error": "unauthorized"}

    def not_found(self, what: str) -> tuple[int, Any]:
        return 404, {"error": f"{what} not found"}

    def dispatch(self, method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        with self._lock:
            self.calls.append(Call(method, path, body, headers))
            if headers.get(self.key_header) != f"{self.key_prefix}{self.api_key}":
                return self.unauthorized()
            for route_method, pattern, handler in self.routes:
                match = pattern.match(path)
                if route_method == method and match:
                    groups = [unquote(group) for group in match.groups()]
                    return handler(body, *groups)
            return self.not_found(path)


def _handler_for(fake: FakePlatform) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, answer = fake.dispatch(self.command, urlsplit(self.path).path, body, headers)
            data = b"" if answer is None else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return _Handler


def merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """A deep merge as a PATCH endpoint applies it: nested objects key by key, anything else replaced."""
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = value
    return target


__all__ = ["Call", "FakePlatform", "merge"]
