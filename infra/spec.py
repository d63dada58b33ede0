"""What every deployment has, whatever the cloud: the three functions, the HTTP routes, the dashboard URLs.

Both components read these tables, so AWS and GCP stay the same service: a new route or a longer timeout
is one line here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from shared.app import ROUTES as APP_ROUTES

FunctionRole = Literal["http", "worker", "sweeper"]


@dataclass(frozen=True)
class FunctionSpec:
    role: FunctionRole
    aws_handler: str
    gcp_entry_point: str
    timeout_seconds: int
    memory_mb: int
    description: str


HTTP = FunctionSpec("http", "functions.aws.entry.http_handler", "http", 15, 512, "every synchronous route")
WORKER = FunctionSpec(
    "worker", "functions.aws.entry.worker_handler", "worker", 60, 512, "turns archived calls into memories"
)
SWEEPER = FunctionSpec("sweeper", "functions.aws.entry.sweeper_handler", "sweeper", 300, 256, "retention sweep")
FUNCTIONS: tuple[FunctionSpec, ...] = (HTTP, WORKER, SWEEPER)

# API Gateway route keys cannot end in "/", and a plain ``{variable}`` never matches an empty segment: the console's
# page, ``/console/`` (the function serves every route with or without a trailing slash), would reach no route. A
# greedy ``{variable+}`` also matches the empty rest, so the console's file route is declared greedy.
GREEDY_PATHS = frozenset({"/console/{asset}"})


def api_route_key(method: str, path: str) -> str:
    """The HTTP API's route key for one of the function's routes (``shared.app.ROUTES``)."""
    if path in GREEDY_PATHS:
        path = re.sub(r"\{(\w+)\}$", r"{\1+}", path)
    return f"{method} {path}"


# Every route the HTTP function serves, from its own route table so the two cannot drift; the HTTP API declares
# exactly these, anything else is a 404 from API Gateway.
ROUTES: tuple[str, ...] = tuple(api_route_key(route.method, route.path) for route in APP_ROUTES)

# Output name -> path: what an operator pastes into the platform's dashboard.
DASHBOARD_URLS: dict[str, str] = {
    "preCallUrl": "/client-data",
    "toolUrl": "/retrieve",
    "postCallUrl": "/post-call",
}

ARCHIVE_PREFIX = "events/"
# The mem0 backend's pending log (adds Mem0 does not list yet), shared by the HTTP function and the worker in the
# archive bucket; functions.standalone.PENDING_PREFIX is the same default. Its records matter for minutes.
PENDING_PREFIX = "mem0-pending/"
PENDING_EXPIRY_DAYS = 1
MAX_DELIVERIES = 5  # then the event goes to the dead-letter queue; replayable from the archive
VISIBILITY_FACTOR = 6  # SQS visibility timeout >= 6x the worker timeout (AWS guidance)
SWEEP_EVERY_HOURS = 24
NONCURRENT_VERSION_DAYS = 7
DLQ_RETENTION_SECONDS = 14 * 24 * 3600
MAX_INSTANCES = 20  # per Cloud Function; warmInstances (its min instances) may not exceed it
# The AWS worker's cap, as the Cloud Function's: the SQS event source never runs more at once, so a backlog (after a
# Mem0 or store outage) neither floods the store nor takes the account's concurrency from the pre-call path
# (every stack of the account, and so every tenant's HTTP function, draws on the same regional pool).
WORKER_MAX_CONCURRENCY = MAX_INSTANCES

# Settings every function reads; the memory libraries must write under /tmp (the only writable path).
STATIC_ENVIRONMENT: dict[str, str] = {
    "MEM0_DIR": "/tmp/.mem0",
    "MEM0_TELEMETRY": "False",
    "AGENTIC_MEMORY_DATA_DIR": "/tmp/agentic-memory",
}


__all__ = [
    "ARCHIVE_PREFIX",
    "DASHBOARD_URLS",
    "FUNCTIONS",
    "GREEDY_PATHS",
    "HTTP",
    "MAX_INSTANCES",
    "PENDING_PREFIX",
    "ROUTES",
    "STATIC_ENVIRONMENT",
    "SWEEPER",
    "WORKER",
    "WORKER_MAX_CONCURRENCY",
    "FunctionSpec",
    "api_route_key",
]
