"""Google Cloud Functions (gen2) entry points, re-exported by the bundle's ``main.py`` as the deploy targets:
``http`` (every synchronous route), ``worker`` (CloudEvent from Pub/Sub), ``sweeper`` (HTTP, Cloud Scheduler).
"""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import functions_framework

from functions.cold_start import ColdStart, runtime_from_ports
from functions.gcp.ports import cloud_ports
from functions.http_edge import to_flask, to_request
from functions.messages import decode_message
from shared.errors import failure
from shared.http import Response
from shared.runtime import Runtime

if TYPE_CHECKING:
    import flask
    from cloudevents.http import CloudEvent


def build(environ: Mapping[str, str] = os.environ, **port_options: Any) -> Runtime:
    return runtime_from_ports(environ, cloud_ports, **port_options)


COLD_START = ColdStart(build)
log = logging.getLogger("agentic_memory.functions.gcp")


def serve_request(runtime: Runtime, request: flask.Request) -> flask.Response:
    return to_flask(runtime.app.handle(to_request(request)))


class EventFailed(RuntimeError):
    """What the worker raises to Pub/Sub: the failure's type only. functions-framework logs the exception with its
    traceback, and a store's error can name a caller's document (a phone number), as the AWS worker never logs."""


def serve_event(runtime: Runtime, event: CloudEvent) -> None:
    """Raises on failure so Pub/Sub redelivers, then dead-letters after the subscription's max attempts."""
    message = (event.data or {}).get("message") or {}
    try:
        runtime.worker.process(decode_message(base64.b64decode(message.get("data") or "")))
    except Exception as exc:
        log.warning("queue message failed (%s); Pub/Sub will redeliver it", failure(exc))
        raise EventFailed(f"post-call event failed ({type(exc).__name__}); Pub/Sub will redeliver it") from None


@functions_framework.http
def http(request: flask.Request) -> flask.Response:
    runtime = COLD_START.runtime_or_503()
    return serve_request(runtime, request) if isinstance(runtime, Runtime) else to_flask(runtime)


@functions_framework.cloud_event
def worker(event: CloudEvent) -> None:
    serve_event(COLD_START.runtime(), event)


@functions_framework.http
def sweeper(request: flask.Request) -> flask.Response:
    """Cloud Scheduler's target; only its service account may invoke it (IAM), so it takes no other auth."""
    return to_flask(Response.json(COLD_START.runtime().sweep()))
