"""AWS alerting: the stack's SNS topic, and CloudWatch alarms on function errors, throttles, dead letters and
authentication failures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.naming import StackNames

ALARM_PERIOD_SECONDS = 300
AUTH_FAILURES_THRESHOLD = 5  # per period: a scanner's stray request stays quiet, a rotated key does not
AUTH_NAMESPACE = "agentic-memory"


def alert_topic(
    name: str,
    names: StackNames,
    *,
    alert_email: pulumi.Input[str] | None,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> aws.sns.Topic:
    """The topic every alarm notifies, with an email subscription when the stack names an address."""
    child = pulumi.ResourceOptions(parent=parent)
    topic = aws.sns.Topic(f"{name}-alerts", name=names.name("alerts"), tags=dict(tags), opts=child)
    if alert_email is not None:
        aws.sns.TopicSubscription(
            f"{name}-alerts-email", topic=topic.arn, protocol="email", endpoint=alert_email, opts=child
        )
    return topic


def alarms(
    name: str,
    names: StackNames,
    functions: Mapping[str, aws.lambda_.Function],
    dlq: aws.sqs.Queue,
    topic: aws.sns.Topic,
    *,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> None:
    """Errors and throttles per function, and any message in the dead-letter queue; each alarms and clears."""
    child = pulumi.ResourceOptions(parent=parent)
    actions = [topic.arn]
    common: dict[str, Any] = {
        "period": ALARM_PERIOD_SECONDS,
        "evaluation_periods": 1,
        "threshold": 1,
        "comparison_operator": "GreaterThanOrEqualToThreshold",
        "treat_missing_data": "notBreaching",
        "alarm_actions": actions,
        "ok_actions": actions,
        "tags": dict(tags),
    }
    for role, fn in functions.items():
        for metric in ("Errors", "Throttles"):
            aws.cloudwatch.MetricAlarm(
                f"{name}-{role}-{metric.lower()}",
                name=names.name(f"{role}-{metric.lower()}", max_len=255),
                namespace="AWS/Lambda",
                metric_name=metric,
                dimensions={"FunctionName": fn.name},
                statistic="Sum",
                **common,
                opts=child,
            )
    http = functions.get("http")
    if http is not None:
        _auth_failures(name, names, http, common, child)
    aws.cloudwatch.MetricAlarm(
        f"{name}-dead-letters",
        name=names.name("dead-letters", max_len=255),
        alarm_description="post-call events failed every retry; fix the cause, then replay them from the archive",
        namespace="AWS/SQS",
        metric_name="ApproximateNumberOfMessagesVisible",
        dimensions={"QueueName": dlq.name},
        statistic="Maximum",
        **common,
        opts=child,
    )


def _auth_failures(
    name: str, names: StackNames, http: aws.lambda_.Function, common: dict[str, Any], child: pulumi.ResourceOptions
) -> None:
    """A rotated or mistyped platform secret makes every webhook fail with a 401 (the original answered those
    with a silent 200): the HTTP function logs each at WARNING ("authentication failed on ..."), counted here."""
    metric = names.name("auth-failures", max_len=255)
    aws.cloudwatch.LogMetricFilter(
        f"{name}-http-auth-filter",
        name=metric,
        log_group_name=http.name.apply(lambda fn: f"/aws/lambda/{fn}"),
        pattern='"authentication failed"',
        metric_transformation={"name": metric, "namespace": AUTH_NAMESPACE, "value": "1", "default_value": "0"},
        opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[http])),
    )
    aws.cloudwatch.MetricAlarm(
        f"{name}-http-auth-failures",
        name=metric,
        alarm_description="requests refused for a missing or wrong secret or signature: check the platform's secret",
        namespace=AUTH_NAMESPACE,
        metric_name=metric,
        statistic="Sum",
        **{**common, "threshold": AUTH_FAILURES_THRESHOLD},
        opts=child,
    )


__all__ = ["ALARM_PERIOD_SECONDS", "AUTH_FAILURES_THRESHOLD", "alarms", "alert_topic"]
