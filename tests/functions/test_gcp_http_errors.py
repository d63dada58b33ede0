"""Errors Flask answers before the HTTP function runs, on the bundle's ``main.py`` as Cloud Functions loads it.

Found by an outside check comparing the runtimes: functions-framework's own ``/favicon.ico`` and ``/robots.txt``
routes and a path its router refuses (``%0A``) were answered with an HTML page on Cloud Functions, where ``serve``
answers JSON."""

from __future__ import annotations

import json

import pytest

from tests.functions.gcf_targets import target_app


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/favicon.ico"), ("POST", "/robots.txt"), ("GET", "/admin/users/%0A/memories"), ("DELETE", "/x%0d%0a")],
)
def test_errors_before_the_function_are_json(monkeypatch: pytest.MonkeyPatch, method: str, path: str) -> None:
    client = target_app("http", "http", monkeypatch).test_client()
    response = client.open(path, method=method)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert json.loads(response.get_data()) == {"error": "not found"}
    assert response.headers["cache-control"] == "no-store"
