"""The queue port on Pub/Sub: one message per archived event key, acknowledged before the 200 goes out."""

from __future__ import annotations

from typing import Any

from functions.messages import encode_message
from shared.errors import StoreUnavailable
from shared.ingest.ports import Queue

PUBLISH_TIMEOUT_SECONDS = 10.0


class PubSubQueue(Queue):
    """Publishes ``{"key": ...}`` to the stack's topic and waits for the server's ack before the 200 goes out."""

    def __init__(self, topic: str, *, publisher: Any, timeout: float = PUBLISH_TIMEOUT_SECONDS) -> None:
        self._topic = topic
        self._publisher = publisher
        self._timeout = timeout

    def enqueue(self, key: str) -> None:
        try:
            self._publisher.publish(self._topic, encode_message(key).encode()).result(timeout=self._timeout)
        except Exception as exc:
            raise StoreUnavailable("queue publish failed") from exc


__all__ = ["PubSubQueue"]
