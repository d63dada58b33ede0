"""AWS alerting: the stack's SNS topic, and CloudWatch alarms on function errors, throttles and dead letters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.naming import StackNames

ALARM_PERIOD_SECONDS = 300


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


__all__ = ["ALARM_PERIOD_SECONDS", "alarms", "alert_topic"]
