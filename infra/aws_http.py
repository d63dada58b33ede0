"""The AWS HTTP endpoint in front of the HTTP function's ``live`` alias: an HTTP API, or a Function URL."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from infra import spec
from infra.naming import StackNames

API_THROTTLE = {"throttling_burst_limit": 200, "throttling_rate_limit": 100}


def _route_name(route: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", route.lower()).strip("-")


def http_api(
    name: str,
    names: StackNames,
    http: aws.lambda_.Function,
    live: aws.lambda_.Alias,
    *,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> pulumi.Output[str]:
    """An HTTP API with exactly the HTTP function's routes (``spec.ROUTES``), all to its ``live`` alias."""
    child = pulumi.ResourceOptions(parent=parent)
    api = aws.apigatewayv2.Api(f"{name}-api", name=names.name("api"), protocol_type="HTTP", tags=dict(tags), opts=child)
    integration = aws.apigatewayv2.Integration(
        f"{name}-api-integration",
        api_id=api.id,
        integration_type="AWS_PROXY",
        integration_uri=live.invoke_arn,
        payload_format_version="2.0",
        timeout_milliseconds=min(30_000, spec.HTTP.timeout_seconds * 1000),
        opts=child,
    )
    target = integration.id.apply(lambda integration_id: f"integrations/{integration_id}")
    for route in spec.ROUTES:
        aws.apigatewayv2.Route(
            f"{name}-route-{_route_name(route)}", api_id=api.id, route_key=route, target=target, opts=child
        )
    aws.apigatewayv2.Stage(
        f"{name}-api-stage",
        api_id=api.id,
        name="$default",
        auto_deploy=True,
        default_route_settings=API_THROTTLE,
        opts=child,
    )
    aws.lambda_.Permission(
        f"{name}-api-invoke",
        action="lambda:InvokeFunction",
        function=http.name,
        qualifier=live.name,
        principal="apigateway.amazonaws.com",
        source_arn=api.execution_arn.apply(lambda arn: f"{arn}/*/*"),
        opts=child,
    )
    return api.api_endpoint


def function_url(
    name: str, http: aws.lambda_.Function, live: aws.lambda_.Alias, *, parent: pulumi.Resource
) -> pulumi.Output[str]:
    """A public Function URL on the ``live`` alias; the function authenticates every request itself."""
    child = pulumi.ResourceOptions(parent=parent)
    url = aws.lambda_.FunctionUrl(
        f"{name}-http-url",
        function_name=http.name,
        qualifier=live.name,
        authorization_type="NONE",
        opts=child,
    )
    aws.lambda_.Permission(
        f"{name}-url-invoke",
        action="lambda:InvokeFunctionUrl",
        function=http.name,
        qualifier=live.name,
        principal="*",
        function_url_auth_type="NONE",
        opts=child,
    )
    aws.lambda_.Permission(
        f"{name}-url-invoke-function",
        action="lambda:InvokeFunction",
        function=http.name,
        qualifier=live.name,
        principal="*",
        invoked_via_function_url=True,
        opts=child,
    )
    return url.function_url.apply(lambda value: value.rstrip("/"))


__all__ = ["API_THROTTLE", "function_url", "http_api"]
