"""The AWS HTTP API declares a route for every request the HTTP function serves (shared/app.py's route table), the
console's page and files included; API Gateway answers anything else with its own 404 before the function runs."""

from __future__ import annotations

import re

import pytest

from infra.spec import ROUTES, api_route_key
from shared.app import ROUTES as APP_ROUTES
from shared.console import assets

# An HTTP API route key: a method, then segments; a greedy variable only last; never a trailing "/".
ROUTE_KEY = re.compile(r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) (/([A-Za-z0-9._-]+|\{\w+\}))*(/\{\w+\+\})?$")


def gateway_matches(route_key: str, method: str, path: str) -> bool:
    """API Gateway's matching (developer guide, "Create routes for HTTP APIs"): ``{name}`` is one non-empty
    segment, a greedy ``{name+}`` the whole rest, even empty; a trailing slash is part of the path."""
    route_method, template = route_key.split(" ", 1)
    regex = re.sub(r"\\\{\w+\\\+\\\}", ".*", re.escape(template))
    regex = re.sub(r"\\\{\w+\\\}", "[^/]+", regex)
    return route_method == method and re.fullmatch(regex, path) is not None


def served_requests() -> list[tuple[str, str]]:
    """A request to every route the function serves, the console's page and each of its files included."""
    requests = [(route.method, re.sub(r"\{\w+\}", "caller-1", route.path)) for route in APP_ROUTES]
    requests += [("GET", "/console/")] + [("GET", f"/console/{name}") for name in assets()]
    for method, path in requests:  # the samples are what the function answers itself
        assert any(route.method == method and route.pattern.match(path) for route in APP_ROUTES), path
    return requests


@pytest.mark.parametrize(("method", "path"), served_requests())
def test_every_request_the_function_serves_reaches_it(method: str, path: str) -> None:
    assert any(gateway_matches(key, method, path) for key in ROUTES), f"{method} {path}: API Gateway would 404"


def test_routes_come_from_the_functions_own_table() -> None:
    assert tuple(api_route_key(route.method, route.path) for route in APP_ROUTES) == ROUTES
    declared = {key.replace("+}", "}") for key in ROUTES}
    assert declared == {f"{route.method} {route.path}" for route in APP_ROUTES}
    for key in (
        "GET /console",
        "GET /console/{asset+}",
        "GET /admin/users/{user_id}/pre-call",
        "GET /admin/users/{user_id}/search",
    ):
        assert key in ROUTES


def test_route_keys_are_valid_and_unique() -> None:
    assert len(set(ROUTES)) == len(ROUTES)
    for key in ROUTES:
        assert ROUTE_KEY.match(key), key


def test_the_matcher_is_strict_about_segments() -> None:
    assert gateway_matches("GET /console/{asset+}", "GET", "/console/")
    assert not gateway_matches("GET /console", "GET", "/console/")
    assert not gateway_matches("GET /console/{asset}", "GET", "/console/")
    assert not gateway_matches("GET /admin/users/{user_id}/memories", "GET", "/admin/users//memories")
    assert not gateway_matches("POST /retrieve", "GET", "/retrieve")
