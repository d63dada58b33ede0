"""flask.Request <-> the neutral Request/Response, for every edge served by functions-framework (local, GCP)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.http import Request, Response

if TYPE_CHECKING:
    import flask

READ_LIMIT = 10 * 1024 * 1024  # never buffer more than this; the app enforces the agent type's own limit


def to_request(request: flask.Request) -> Request:
    body = request.stream.read(READ_LIMIT + 1)
    return Request.build(
        method=request.method,
        path=request.path,
        headers=dict(request.headers.items()),
        body=body,
        query=request.args.to_dict(),
    )


def to_flask(response: Response) -> flask.Response:
    import flask

    return flask.Response(response.body, status=response.status, headers=dict(response.headers))
