"""The HTTP router every edge calls: neutral ``Request`` in, neutral ``Response`` out.

Order per request: route, size limit, authentication, JSON, then the provider decides the operation (Vapi sends
every message type to one URL), then the service; the provider formats the answer. Every error is JSON with its
status; nothing a client sends can produce a stack trace.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.admin import AdminApi
from shared.answers import pre_call_answer, tool_answer
from shared.auth.base import Verifier
from shared.clock import Clock, utc_now
from shared.errors import (
    BadRequest,
    HttpError,
    MethodNotAllowed,
    PayloadTooLarge,
    RouteNotFound,
    StoreUnavailable,
    Unauthorized,
)
from shared.http import Request, Response
from shared.ingest.intake import PostCallIntake, check_key
from shared.profile import AgentProfile
from shared.providers.base import Operation, PostCallEvent
from shared.service import MemoryService

log = logging.getLogger("agentic_memory.http")

Handler = Callable[[Request, dict[str, str]], Response]
MAX_BATCH = 100  # events in one array envelope
NO_BODY = frozenset({b"", b"{}", b"null"})  # what a client library sends for "no body" on a GET or a DELETE


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # the template: a deployed stack's HTTP API declares its routes from it (infra/spec.py)
    pattern: re.Pattern[str]
    handler: str


def _route(method: str, path: str, handler: str) -> Route:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)
    return Route(method, path, re.compile(f"^{regex}/?$"), handler)


ROUTES = (
    _route("GET", "/healthz", "healthz"),
    _route("POST", "/client-data", "client_data"),
    _route("POST", "/retrieve", "retrieve"),
    _route("POST", "/post-call", "post_call"),
    _route("GET", "/admin/users/{user_id}/memories", "admin_list"),
    _route("DELETE", "/admin/users/{user_id}/memories", "admin_erase"),
    _route("GET", "/admin/users/{user_id}/pre-call", "admin_pre_call"),
    _route("GET", "/admin/users/{user_id}/search", "admin_search"),
    _route("GET", "/admin/config", "admin_config"),
    _route("GET", "/analytics/users/{user_id}", "analytics_user"),
    _route("GET", "/analytics/agent", "analytics_agent"),
    _route("GET", "/console", "console"),
    _route("GET", "/console/{asset}", "console"),
)
_ROUTE_OPERATION = {
    "client_data": Operation.PRE_CALL,
    "retrieve": Operation.TOOL,
    "post_call": Operation.POST_CALL,
}
_OPERATION_ENDPOINT = {operation: endpoint for endpoint, operation in _ROUTE_OPERATION.items()}


def _loggable(path: str) -> str:
    """Paths carry caller ids (``/admin/users/+1555.../memories``), and so may a mistyped one (``/admin/user/+1555...``,
    ``/client-data/+1555...``): never log them. No route's own segment holds a digit, ``@``, ``:`` or ``%``."""
    path = re.sub(r"/users/[^/]+", "/users/{user_id}", path)
    return re.sub(r"[^/]*[\d@:%][^/]*", "{id}", path)[:200]


def _allow(methods: list[str]) -> tuple[str, ...]:
    """The ``Allow`` header's methods for a path served by ``methods``: HEAD beside GET, and OPTIONS."""
    listed = [*methods, *(["HEAD"] if "GET" in methods else []), "OPTIONS"]
    return tuple(dict.fromkeys(listed))


def _no_constant(name: str) -> Any:
    """``NaN``/``Infinity`` are not JSON (RFC 8259); Python would accept them and a caller id "nan" would follow."""
    raise ValueError(f"{name} is not JSON")


def parse_json(body: bytes) -> Any:
    if not body.strip():
        raise BadRequest("request body is empty; expected JSON")
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadRequest("request body is not valid JSON") from None


class App:
    def __init__(
        self,
        profile: AgentProfile,
        service: MemoryService,
        intake: PostCallIntake,
        verifiers: dict[str, Verifier],
        *,
        admin: AdminApi,
        clock: Clock = utc_now,
    ) -> None:
        self.profile = profile
        self.service = service
        self.intake = intake
        self._verifiers = verifiers
        self.admin = admin
        self._clock = clock

    def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        try:
            response = self._dispatch(request)
        except Unauthorized as exc:
            # WARNING, not INFO: a rotated or misconfigured key must be seen (deployed, INFO is not logged)
            log.warning("authentication failed on %s %s: %s", request.method, _loggable(request.path), exc.message)
            response = Response.error(exc.status, exc.message)
        except HttpError as exc:
            response = Response.error(exc.status, exc.message, exc.headers)
        except StoreUnavailable as exc:  # WARNING: deployed, INFO is not logged, and a 503 must be seen; fixed text
            log.warning("store unavailable on %s %s: %s", request.method, _loggable(request.path), exc)
            response = Response.error(503, "memory store temporarily unavailable; retry")
        except Exception as exc:  # a bug, never the client's fault: log the type only (no data), answer 500
            log.error("unhandled %s on %s %s", type(exc).__name__, request.method, _loggable(request.path))
            response = Response.error(500, "internal error")
        if request.method == "HEAD":  # its errors too: a HEAD answer never has a body
            response = response.without_body()
        log.info(
            "%s %s -> %d in %.1f ms",
            request.method,
            _loggable(request.path),
            response.status,
            (time.perf_counter() - started) * 1000,
        )
        return response

    def _dispatch(self, request: Request) -> Response:
        # HEAD is a GET without the body (RFC 9110 9.3.2): a load balancer's or an uptime checker's probe
        method = "GET" if request.method == "HEAD" else request.method
        allowed: list[str] = []
        for route in ROUTES:
            match = route.pattern.match(request.path)
            if match is None:
                continue
            if route.method != method:
                allowed.append(route.method)
                continue
            if route.method != "POST" and request.body.strip() not in NO_BODY:
                # an erasure sent with 30 MB or with garbage ran as if it were clean: refuse, change nothing
                self._check_size(request.body, self.profile.webhooks.max_body_bytes)
                raise BadRequest(f"{route.method} {route.path} takes no request body")
            handler: Handler = getattr(self, f"_{route.handler}")
            return handler(request, match.groupdict())
        if not allowed:
            raise RouteNotFound("no such route")
        methods = _allow(allowed)
        if request.method == "OPTIONS":
            return Response(204, b"", {"allow": ", ".join(methods), "cache-control": "no-store"})
        raise MethodNotAllowed("method not allowed on this route", methods)

    # platform hooks -------------------------------------------------------------------------------------------

    def _platform(self, endpoint: str, request: Request) -> Response:
        if not self.profile.enabled(endpoint):
            raise RouteNotFound("this endpoint is not enabled for this agent type")
        webhooks = self.profile.webhooks
        # A post-call event (or a status message carrying the conversation so far) holds every turn; Vapi sends any
        # message to any route. So the larger post-call limit applies first, the smaller one once the message
        # turns out to be a pre-call or a tool call.
        self._check_size(request.body, max(webhooks.max_body_bytes, webhooks.max_post_call_bytes))
        self._verifiers[endpoint].verify(request.body, request.headers)
        payload = parse_json(request.body)
        if endpoint == "post_call" and isinstance(payload, list):
            return self._post_call_batch(payload)
        provider = self.profile.provider
        operation = provider.operation(_ROUTE_OPERATION[endpoint], payload)
        if operation in (Operation.PRE_CALL, Operation.TOOL):
            self._check_size(request.body, webhooks.max_body_bytes)
        target = _OPERATION_ENDPOINT.get(operation)
        if target is not None and not self.profile.enabled(target):
            raise RouteNotFound("this operation is not enabled for this agent type")
        if target is not None and target != endpoint:  # Vapi: a post-call sent to the pre-call URL still needs the
            self._verifiers[target].verify(request.body, request.headers)  # post-call's own authentication
        fields = self.profile.fields
        if operation is Operation.PRE_CALL:
            _, pre = pre_call_answer(
                self.profile, self.service, provider.parse_pre_call(payload, fields["client_data"])
            )
            return Response.json(pre)
        if operation is Operation.TOOL:
            _, tool = tool_answer(self.profile, self.service, provider.parse_tool(payload, fields["retrieve"]))
            return Response.json(tool)
        if operation is Operation.POST_CALL:
            event = provider.parse_post_call(payload, fields["post_call"], self.profile.webhooks.ingest_events)
            return Response.json(self.intake.accept(event, request.body))
        answer = provider.ignored(payload)
        if isinstance(answer, bytes):
            return Response(200, answer, {"content-type": "application/octet-stream"})
        return Response.json(answer)

    def _post_call_batch(self, items: list[Any]) -> Response:
        """A signed array of post-call events: every element is taken (the original processed the first only).

        Every element is parsed before any is archived, so a bad one rejects the whole batch and changes nothing.
        Each is archived as its own JSON under its own idempotency key (the signature covered the whole array).
        """
        if not items or len(items) > MAX_BATCH or not all(isinstance(item, dict) for item in items):
            raise BadRequest(f"a batch of post-call events must be a list of 1 to {MAX_BATCH} JSON objects")
        provider, profile = self.profile.provider, self.profile
        parsed: list[tuple[dict[str, Any], PostCallEvent | None]] = []
        for item in items:
            operation = provider.operation(Operation.POST_CALL, item)
            if operation is Operation.IGNORE:
                parsed.append((item, None))
                continue
            if operation is not Operation.POST_CALL:
                raise BadRequest("a batch may hold post-call events only")
            event = provider.parse_post_call(item, profile.fields["post_call"], profile.webhooks.ingest_events)
            check_key(event)
            parsed.append((item, event))
        answers = [
            self.intake.accept(event, json.dumps(item).encode()) if event else {"status": "ignored"}
            for item, event in parsed
        ]
        return Response.json({"status": "batch", "events": answers})

    @staticmethod
    def _check_size(body: bytes, limit: int) -> None:
        if len(body) > limit:
            raise PayloadTooLarge(f"request body is larger than {limit} bytes")

    def _client_data(self, request: Request, params: dict[str, str]) -> Response:
        return self._platform("client_data", request)

    def _retrieve(self, request: Request, params: dict[str, str]) -> Response:
        return self._platform("retrieve", request)

    def _post_call(self, request: Request, params: dict[str, str]) -> Response:
        return self._platform("post_call", request)

    def _healthz(self, request: Request, params: dict[str, str]) -> Response:
        return Response.json({"status": "ok", "agent_type": self.profile.name})

    # admin and analytics (X-Admin-Key): shared.admin ------------------------------------------------------------

    def _admin_list(self, request: Request, params: dict[str, str]) -> Response:
        return self.admin.list_memories(request, params["user_id"])

    def _admin_erase(self, request: Request, params: dict[str, str]) -> Response:
        return self.admin.erase(request, params["user_id"])

    def _admin_pre_call(self, request: Request, params: dict[str, str]) -> Response:
        return self.admin.pre_call_preview(request, params["user_id"])

    def _admin_search(self, request: Request, params: dict[str, str]) -> Response:
        return self.admin.search(request, params["user_id"])

    def _admin_config(self, request: Request, params: dict[str, str]) -> Response:
        return self.admin.config(request)

    def _analytics_user(self, request: Request, params: dict[str, str]) -> Response:
        return self.admin.user_analytics(request, params["user_id"])

    def _analytics_agent(self, request: Request, params: dict[str, str]) -> Response:
        return self.admin.agent_analytics(request)

    # the console: static files for people; everything it shows comes from the admin routes above ---------------

    def _console(self, request: Request, params: dict[str, str]) -> Response:
        from shared.console import console_response  # only a person's browser asks for it: off the call path

        return console_response(request.path, params.get("asset"))
