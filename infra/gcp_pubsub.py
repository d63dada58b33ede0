"""GCP ingest messaging: the Pub/Sub topic, its dead-letter topic and hold, and the push subscription to the worker."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from infra import spec
from infra.naming import StackNames

PUSH_BACKOFF = {"minimum_backoff": "10s", "maximum_backoff": "600s"}


@dataclass(frozen=True)
class Topics:
    """The ingest topic, its dead-letter topic, and the subscription holding what reaches the latter."""

    ingest: gcp.pubsub.Topic
    dead_letter: gcp.pubsub.Topic
    hold: gcp.pubsub.Subscription


def topics(
    name: str,
    names: StackNames,
    project: str,
    *,
    labels: Mapping[str, str],
    parent: pulumi.Resource,
    after_apis: pulumi.ResourceOptions,
) -> Topics:
    """The ingest topic HTTP publishes to, and a dead-letter topic whose messages a subscription holds."""
    topic = gcp.pubsub.Topic(
        f"{name}-topic",
        project=project,
        name=names.name("ingest", max_len=255),
        labels=dict(labels),
        opts=after_apis,
    )
    dlq_topic = gcp.pubsub.Topic(
        f"{name}-dlq-topic",
        project=project,
        name=names.name("ingest-dlq", max_len=255),
        labels=dict(labels),
        opts=after_apis,
    )
    # A dead-letter topic with no subscription drops what it receives: this one holds them for inspection.
    dlq_hold = gcp.pubsub.Subscription(
        f"{name}-dlq-hold",
        project=project,
        name=names.name("ingest-dlq-hold", max_len=255),
        topic=dlq_topic.id,
        message_retention_duration=f"{spec.DLQ_RETENTION_SECONDS // 2}s",
        expiration_policy={"ttl": ""},
        labels=dict(labels),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return Topics(topic, dlq_topic, dlq_hold)


def push_subscription(
    name: str,
    names: StackNames,
    project: str,
    worker: gcp.cloudfunctionsv2.Function,
    topics: Topics,
    invoker: gcp.serviceaccount.Account,
    *,
    labels: Mapping[str, str],
    parent: pulumi.Resource,
) -> None:
    """Pub/Sub pushes to the worker (functions-framework turns the push into a CloudEvent); after
    ``MAX_DELIVERIES`` failures the message moves to the dead-letter topic."""
    child = pulumi.ResourceOptions(parent=parent)
    uri = worker.service_config.apply(lambda config: (config.uri if config else None) or "")
    subscription = gcp.pubsub.Subscription(
        f"{name}-push",
        project=project,
        name=names.name("ingest-push", max_len=255),
        topic=topics.ingest.id,
        ack_deadline_seconds=min(600, spec.WORKER.timeout_seconds),
        push_config={
            "push_endpoint": uri,
            "oidc_token": {"service_account_email": invoker.email, "audience": uri},
        },
        dead_letter_policy={"dead_letter_topic": topics.dead_letter.id, "max_delivery_attempts": spec.MAX_DELIVERIES},
        retry_policy=PUSH_BACKOFF,
        expiration_policy={"ttl": ""},
        labels=dict(labels),
        opts=child,
    )
    # Pub/Sub's own service agent forwards dead letters and signs the push tokens.
    project_info = gcp.organizations.get_project_output(
        project_id=project, opts=pulumi.InvokeOutputOptions(parent=parent)
    )
    agent = project_info.number.apply(
        lambda number: f"serviceAccount:service-{number}@gcp-sa-pubsub.iam.gserviceaccount.com"
    )
    gcp.pubsub.TopicIAMMember(
        f"{name}-dlq-publisher",
        project=project,
        topic=topics.dead_letter.name,
        role="roles/pubsub.publisher",
        member=agent,
        opts=child,
    )
    gcp.pubsub.SubscriptionIAMMember(
        f"{name}-push-subscriber",
        project=project,
        subscription=subscription.name,
        role="roles/pubsub.subscriber",
        member=agent,
        opts=child,
    )
    gcp.serviceaccount.IAMMember(
        f"{name}-push-token-creator",
        service_account_id=invoker.name,
        role="roles/iam.serviceAccountTokenCreator",
        member=agent,
        opts=child,
    )


__all__ = ["PUSH_BACKOFF", "Topics", "push_subscription", "topics"]
