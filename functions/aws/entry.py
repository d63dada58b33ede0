"""AWS Lambda entry points: ``http_handler`` (API Gateway HTTP API 2.0, Function URLs), ``worker_handler`` (SQS),
``sweeper_handler`` (EventBridge schedule). Adapters only; the ports come from ``functions.aws.ports``.
"""

from __future__ import annotations

import base64
import logging
import os
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from functions.aws.ports import cloud_ports
from functions.cold_start import ColdStart, runtime_from_ports
from functions.messages import decode_message
from shared.errors import failure
from shared.http import Request, Response
from shared.runtime import Runtime

log = logging.getLogger("agentic_memory.functions.aws")

BATCH_MARGIN_SECONDS = 2.0  # besides the longest message so far: the answer to SQS and the log flush


def build(environ: Mapping[str, str] = os.environ, **port_options: Any) -> Runtime:
    return runtime_from_ports(environ, cloud_ports, **port_options)


COLD_START = ColdStart(build)


def request_from_event(event: Mapping[str, Any]) -> Request:
    """Payload 2.0 (HTTP API, Function URL); 1.0 fields as fallbacks. A named stage's path prefix is removed."""
    context = event.get("requestContext") or {}
    method = (context.get("http") or {}).get("method") or event.get("httpMethod") or "GET"
    path = event.get("rawPath") or event.get("path") or "/"
    stage = context.get("stage") or "$default"
    if stage != "$default" and path.startswith(f"/{stage}/"):
        path = path[len(stage) + 1 :]
    body = event.get("body") or ""
    # a lone surrogate (JSON-decoded "\ud800") kept as the bytes it stands for: refused as invalid JSON, as serve
    # refuses a body that is not UTF-8, not as "not valid base64" for a body that never claimed to be base64
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8", "surrogatepass")
    return Request.build(method, path, event.get("headers") or {}, raw, query_from_event(event))


def query_from_event(event: Mapping[str, Any]) -> dict[str, str]:
    """The first value of each query parameter, as serve and Cloud Functions (Flask) take it. Payload 2.0 joins a
    repeated parameter's values with commas (``?days=7&days=30``: ``"7,30"``, refused as not a number where serve
    answered for 7 days); its ``rawQueryString`` keeps them apart. Payload 1.0 keeps the last value only in
    ``queryStringParameters``, the list in ``multiValueQueryStringParameters``."""
    single = event.get("queryStringParameters") or {}  # absent when the request has no query string
    raw = event.get("rawQueryString")
    if single and isinstance(raw, str):
        query: dict[str, str] = {}
        for name, value in parse_qsl(raw, keep_blank_values=True):
            query.setdefault(name, value)
        return query
    multi = event.get("multiValueQueryStringParameters") or {}
    return {name: (multi.get(name) or [value])[0] for name, value in single.items()}


def serve_http(runtime: Runtime, event: Mapping[str, Any]) -> dict[str, Any]:
    try:
        request = request_from_event(event)
    except ValueError:  # a body marked base64 that is not: the sender's mistake, answered, never a Lambda error
        request = None
    response = runtime.app.handle(request) if request else Response.error(400, "body is not valid base64")
    return lambda_response(response)


def lambda_response(response: Response) -> dict[str, Any]:
    """The neutral response as payload 2.0's answer; a body that is not UTF-8 travels base64-encoded."""
    try:
        body, encoded = response.body.decode("utf-8"), False
    except UnicodeDecodeError:
        body, encoded = base64.b64encode(response.body).decode("ascii"), True
    return {"statusCode": response.status, "headers": dict(response.headers), "body": body, "isBase64Encoded": encoded}


def serve_batch(
    runtime: Runtime, event: Mapping[str, Any], time_left_ms: Callable[[], int] | None = None
) -> dict[str, list[dict[str, str]]]:
    """Partial batch response: only failed messages return to the queue (and, after maxReceiveCount, the DLQ).

    A batch that outruns the function's timeout returns every message, the finished ones too, and ends in a Lambda
    error: so a message is not started when less time is left than the longest one of this batch took (a slow
    Mem0 makes one event take tens of seconds); it goes back to the queue for the next invocation."""
    failures = []
    longest, left = 0.0, 0
    for record in event.get("Records") or []:
        if no_time_for_another(time_left_ms, longest):
            failures.append({"itemIdentifier": record["messageId"]})
            left += 1
            continue
        started = time.monotonic()
        try:
            runtime.worker.process(decode_message(record["body"]))
        except Exception as exc:  # retried by SQS, then dead-lettered; log the type only, never the event
            log.warning("queue message failed (%s); it will be retried", failure(exc))
            failures.append({"itemIdentifier": record["messageId"]})
        longest = max(longest, time.monotonic() - started)
    if left:
        log.info("%d queue messages left for the next invocation: too little time left for them", left)
    return {"batchItemFailures": failures}


def no_time_for_another(time_left_ms: Callable[[], int] | None, longest_seconds: float) -> bool:
    """Whether too little of the invocation is left to start one more message."""
    if time_left_ms is None:
        return False
    return time_left_ms() / 1000 < longest_seconds + BATCH_MARGIN_SECONDS


def http_handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    runtime = COLD_START.runtime_or_503()
    return serve_http(runtime, event) if isinstance(runtime, Runtime) else lambda_response(runtime)


def worker_handler(event: dict[str, Any], context: object = None) -> dict[str, list[dict[str, str]]]:
    time_left_ms = getattr(context, "get_remaining_time_in_millis", None)
    return serve_batch(COLD_START.runtime(), event, time_left_ms)


def sweeper_handler(event: dict[str, Any] | None = None, context: object = None) -> dict[str, int]:
    return COLD_START.runtime().sweep()
