"""flask.Request <-> the neutral Request/Response, for every edge served by functions-framework (local, GCP)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.http import Request, Response

if TYPE_CHECKING:
    import flask
    from werkzeug.exceptions import HTTPException

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


def json_error(exc: HTTPException) -> tuple[dict[str, str], int, dict[str, str]]:
    """An error Flask answers before the function runs, in the service's JSON shape."""
    return {"error": (exc.name or "error").lower()}, exc.code or 500, {"cache-control": "no-store"}


def answer_errors_in_json(app: flask.Flask) -> None:
    """A path Flask's router refuses (``%0d%0a``), and functions-framework's own ``/robots.txt`` and ``/favicon.ico``,
    were answered with an HTML page: answered in JSON, as every other error."""
    from werkzeug.exceptions import HTTPException

    app.register_error_handler(HTTPException, json_error)
