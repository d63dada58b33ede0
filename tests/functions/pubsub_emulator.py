"""The stack's Pub/Sub topology on the emulator, and delivery to the worker the way the stack's push subscription
delivers: the raw push body (``{"message": ..., "subscription": ...}``) POSTed to the worker under
functions-framework, acknowledged on a 2xx, redelivered otherwise, dead-lettered after the policy's attempts.

The emulator pushes too (``push_subscription``), but waits seconds between retries whatever the retry policy says;
``deliver`` pulls and posts at once, so redelivery and dead-lettering take milliseconds.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_DELIVERY_ATTEMPTS = 5  # the stack's subscription (infra/gcp_pubsub.py)


@dataclass
class PubSubStack:
    project: str
    topic: str
    dead_letter: str
    subscription: str  # the worker's (pulled here, pushed in the deployed stack)
    dead_letter_hold: str  # what the stack keeps of dead letters
    publisher: Any
    subscriber: Any

    def push_subscription(self, endpoint: str) -> str:
        """A real push subscription to ``endpoint`` (the emulator POSTs the push body there)."""
        name = f"projects/{self.project}/subscriptions/push-{uuid.uuid4().hex[:8]}"
        self.subscriber.create_subscription(
            request={"name": name, "topic": self.topic, "push_config": {"push_endpoint": endpoint}}
        )
        return name

    def pull(self, subscription: str, max_messages: int = 20) -> list[Any]:
        response = self.subscriber.pull(
            request={"subscription": subscription, "max_messages": max_messages, "return_immediately": True},
            timeout=5,
        )
        return list(response.received_messages)

    def dead_letters(self) -> list[bytes]:
        received = self.pull(self.dead_letter_hold)
        if received:
            self.subscriber.acknowledge(subscription=self.dead_letter_hold, ack_ids=[m.ack_id for m in received])
        return [m.message.data for m in received]

    def deliver(self, post: Callable[[dict[str, Any]], int], *, rounds: int = 50) -> list[tuple[bytes, int]]:
        """Pull, POST each push body, ack a 2xx and nack the rest (redelivered at once) until nothing is left.
        Returns (data, status) per delivery attempt."""
        attempts: list[tuple[bytes, int]] = []
        for _ in range(rounds):
            received = self.pull(self.subscription)
            if not received:
                return attempts
            for message in received:
                status = post(push_body(message, self.subscription))
                attempts.append((message.message.data, status))
                if 200 <= status < 300:
                    self.subscriber.acknowledge(subscription=self.subscription, ack_ids=[message.ack_id])
                else:
                    self.subscriber.modify_ack_deadline(
                        subscription=self.subscription, ack_ids=[message.ack_id], ack_deadline_seconds=0
                    )
        raise AssertionError(f"messages still pending after {rounds} rounds")


def push_body(received: Any, subscription: str) -> dict[str, Any]:
    """What a Pub/Sub push subscription POSTs (JSON wrapper), with ``deliveryAttempt`` under a dead-letter policy."""
    message = received.message
    published = message.publish_time.isoformat().replace("+00:00", "Z")
    body: dict[str, Any] = {
        "message": {
            "data": base64.b64encode(message.data).decode(),
            "attributes": dict(message.attributes),
            "messageId": message.message_id,
            "message_id": message.message_id,
            "publishTime": published,
            "publish_time": published,
        },
        "subscription": subscription,
    }
    if received.delivery_attempt:
        body["deliveryAttempt"] = received.delivery_attempt
    return body


def create_stack(project: str | None = None) -> PubSubStack:
    """The ingest topic, its dead-letter topic and hold, and the worker's subscription with the dead-letter policy
    (as ``infra/gcp_pubsub.py`` declares them), in a project of their own on the emulator."""
    from google.cloud import pubsub_v1

    project = project or f"test-{uuid.uuid4().hex[:10]}"
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    topic = publisher.create_topic(name=f"projects/{project}/topics/am-test-ingest").name
    dead_letter = publisher.create_topic(name=f"projects/{project}/topics/am-test-ingest-dlq").name
    hold = subscriber.create_subscription(
        name=f"projects/{project}/subscriptions/am-test-ingest-dlq-hold", topic=dead_letter
    ).name
    subscription = subscriber.create_subscription(
        request={
            "name": f"projects/{project}/subscriptions/am-test-worker",
            "topic": topic,
            "ack_deadline_seconds": 60,
            "dead_letter_policy": {"dead_letter_topic": dead_letter, "max_delivery_attempts": MAX_DELIVERY_ATTEMPTS},
        }
    ).name
    return PubSubStack(project, topic, dead_letter, subscription, hold, publisher, subscriber)
