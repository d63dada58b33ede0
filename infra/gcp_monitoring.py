"""GCP observability: the stack's own log bucket and sink, and alert policies on errors, throttles and dead letters."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from infra import spec
from infra.naming import StackNames

ALERT_WINDOW = "300s"


def log_bucket(
    name: str,
    names: StackNames,
    project: str,
    *,
    retention_days: pulumi.Input[int],
    parent: pulumi.Resource,
    after_apis: pulumi.ResourceOptions,
) -> None:
    """The functions' logs also go to a log bucket of this stack, kept ``retention_days``."""
    bucket = gcp.logging.ProjectBucketConfig(
        f"{name}-logs",
        project=project,
        location="global",
        bucket_id=names.name("logs", max_len=100),
        retention_days=retention_days,
        opts=after_apis,
    )
    services = " OR ".join(f'"{names.name(fn.role)}"' for fn in spec.FUNCTIONS)
    gcp.logging.ProjectSink(
        f"{name}-logs-sink",
        project=project,
        name=names.name("logs", max_len=100),
        destination=bucket.id.apply(lambda bucket_id: f"logging.googleapis.com/{bucket_id}"),
        filter=f'resource.type="cloud_run_revision" AND resource.labels.service_name=({services})',
        unique_writer_identity=True,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _condition(title: str, metric_filter: pulumi.Input[str], aligner: str, above: float = 0) -> dict[str, object]:
    return {
        "display_name": title,
        "condition_threshold": {
            "filter": metric_filter,
            "comparison": "COMPARISON_GT",
            "threshold_value": above,
            "duration": "0s",
            "aggregations": [{"alignment_period": ALERT_WINDOW, "per_series_aligner": aligner}],
        },
    }


AUTH_FAILURES_THRESHOLD = 5  # per window: a scanner's stray request stays quiet, a rotated key does not


def _auth_condition(http: str) -> dict[str, object]:
    return _condition(
        f"{http} authentication failures",
        'resource.type="cloud_run_revision" AND metric.type="run.googleapis.com/request_count" AND '
        f'resource.labels.service_name="{http}" AND metric.labels.response_code="401"',
        "ALIGN_DELTA",
        above=AUTH_FAILURES_THRESHOLD - 1,
    )


def alert_policies(
    name: str,
    names: StackNames,
    project: str,
    dlq_hold: gcp.pubsub.Subscription,
    *,
    alert_email: pulumi.Input[str] | None,
    after_apis: pulumi.ResourceOptions,
) -> None:
    """5xx and 429 (throttled: instance limit) per function, and any message left in the dead-letter hold."""
    channels: list[pulumi.Input[str]] = []
    if alert_email is not None:
        channel = gcp.monitoring.NotificationChannel(
            f"{name}-alerts-email",
            project=project,
            display_name=f"agentic-memory {names.stack}",
            type="email",
            labels={"email_address": alert_email},
            opts=after_apis,
        )
        channels.append(channel.name)

    for kind, code_filter in (
        ("errors", 'metric.labels.response_code_class="5xx"'),
        ("throttles", 'metric.labels.response_code="429"'),
    ):
        conditions = [
            _condition(
                f"{names.name(fn.role)} {kind}",
                'resource.type="cloud_run_revision" AND metric.type="run.googleapis.com/request_count" AND '
                f'resource.labels.service_name="{names.name(fn.role)}" AND {code_filter}',
                "ALIGN_DELTA",
            )
            for fn in spec.FUNCTIONS
        ]
        gcp.monitoring.AlertPolicy(
            f"{name}-{kind}",
            project=project,
            display_name=names.name(kind),
            combiner="OR",
            conditions=conditions,
            notification_channels=channels,
            opts=after_apis,
        )
    http = names.name("http")
    gcp.monitoring.AlertPolicy(  # 401s: a rotated or mistyped platform secret (the original answered a silent 200)
        f"{name}-auth-failures",
        project=project,
        display_name=names.name("auth-failures"),
        combiner="OR",
        conditions=[_auth_condition(http)],
        notification_channels=channels,
        opts=after_apis,
    )
    gcp.monitoring.AlertPolicy(
        f"{name}-dead-letters",
        project=project,
        display_name=names.name("dead-letters"),
        combiner="OR",
        conditions=[
            _condition(
                "events in the dead-letter topic",
                dlq_hold.name.apply(
                    lambda sub: (
                        'resource.type="pubsub_subscription" AND '
                        'metric.type="pubsub.googleapis.com/subscription/num_undelivered_messages" AND '
                        f'resource.labels.subscription_id="{sub}"'
                    )
                ),
                "ALIGN_MAX",
            )
        ],
        documentation={"content": "Post-call events failed every retry: fix the cause, then replay from the archive."},
        notification_channels=channels,
        opts=after_apis,
    )


__all__ = ["ALERT_WINDOW", "alert_policies", "log_bucket"]
