"""In-process fakes of the google-cloud-storage and google-cloud-pubsub surfaces the GCP ports use.

Shaped by the real libraries: the same method names and keyword arguments (checked against the installed
signatures in the tests), generations and ``if_generation_match`` preconditions, the library's own
``google.api_core`` exceptions, publish futures, and Pub/Sub push delivery as a CloudEvent with
redelivery and a dead-letter topic after ``max_delivery_attempts``.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cloudevents.http import CloudEvent
from google.api_core import exceptions

_STRING_TYPES = (str,)


@dataclass
class _Stored:
    data: bytes
    generation: int
    metadata: dict[str, str] | None
    content_type: str
    time_created: datetime


class FakeBlob:
    """``google.cloud.storage.Blob``: a local handle; nothing is stored until an upload."""

    def __init__(self, bucket: FakeBucket, name: str, stored: _Stored | None = None) -> None:
        self.bucket = bucket
        self.name = name
        self.metadata: dict[str, str] | None = dict(stored.metadata) if stored and stored.metadata else None
        self.generation = stored.generation if stored else None
        self.time_created = stored.time_created if stored else None

    def upload_from_string(
        self,
        data: bytes | str,
        content_type: str = "text/plain",
        client: Any = None,
        predefined_acl: Any = None,
        if_generation_match: int | None = None,
        if_generation_not_match: int | None = None,
        if_metageneration_match: int | None = None,
        if_metageneration_not_match: int | None = None,
        timeout: float = 60,
        **_: Any,
    ) -> None:
        store = self.bucket.objects
        current = store.get(self.name)
        if if_generation_match is not None and (current.generation if current else 0) != if_generation_match:
            raise exceptions.PreconditionFailed(f"POST .../o?name={self.name}: conditionNotMet")
        if self.metadata is not None and not all(isinstance(v, _STRING_TYPES) for v in self.metadata.values()):
            raise TypeError("metadata values must be strings")
        payload = data.encode() if isinstance(data, str) else bytes(data)
        stored = _Stored(
            payload, next(self.bucket.client.generations), self.metadata, content_type, self.bucket.client.now()
        )
        store[self.name] = stored
        self.generation, self.time_created = stored.generation, stored.time_created
        self.bucket.client.calls.append(("upload_from_string", self.name, if_generation_match))

    def download_as_bytes(self, **_: Any) -> bytes:
        stored = self.bucket.objects.get(self.name)
        if stored is None:
            raise exceptions.NotFound(f"GET .../o/{self.name}: No such object")
        return stored.data

    def delete(self, client: Any = None, if_generation_match: int | None = None, **_: Any) -> None:
        if self.bucket.objects.pop(self.name, None) is None:
            raise exceptions.NotFound(f"DELETE .../o/{self.name}: No such object")


class FakeBucket:
    def __init__(self, client: FakeStorageClient, name: str) -> None:
        self.client = client
        self.name = name

    @property
    def objects(self) -> dict[str, _Stored]:
        if self.name not in self.client.buckets:
            raise exceptions.NotFound(f"bucket {self.name} does not exist")
        return self.client.buckets[self.name]

    def blob(self, blob_name: str, chunk_size: int | None = None, **_: Any) -> FakeBlob:
        return FakeBlob(self, blob_name)

    def get_blob(self, blob_name: str, client: Any = None, **_: Any) -> FakeBlob | None:
        stored = self.objects.get(blob_name)
        return None if stored is None else FakeBlob(self, blob_name, stored)


class FakeStorageClient:
    """``google.cloud.storage.Client``: ``bucket()`` builds a handle, ``list_blobs()`` lists with metadata."""

    def __init__(self, *buckets: str, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.buckets: dict[str, dict[str, _Stored]] = {name: {} for name in buckets}
        self.generations = itertools.count(1_700_000_000_000_000)
        self.now = now
        self.calls: list[tuple[str, str, Any]] = []

    def bucket(self, bucket_name: str, user_project: str | None = None, generation: int | None = None) -> FakeBucket:
        return FakeBucket(self, bucket_name)

    def list_blobs(self, bucket_or_name: str | FakeBucket, prefix: str | None = None, **_: Any) -> Iterator[FakeBlob]:
        bucket = bucket_or_name if isinstance(bucket_or_name, FakeBucket) else self.bucket(bucket_or_name)
        for name, stored in sorted(bucket.objects.items()):
            if prefix is None or name.startswith(prefix):
                yield FakeBlob(bucket, name, stored)


class FakeFuture:
    """``google.cloud.pubsub_v1.publisher.futures.Future``: ``result()`` returns the message id or raises."""

    def __init__(self, message_id: str | None, error: Exception | None = None) -> None:
        self._message_id = message_id
        self._error = error

    def result(self, timeout: float | None = None) -> str:
        if self._error is not None:
            raise self._error
        assert self._message_id is not None
        return self._message_id


@dataclass
class PublishedMessage:
    topic: str
    data: bytes
    message_id: str
    attributes: dict[str, str] = field(default_factory=dict)
    delivery_attempt: int = 0


class FakePublisher:
    """``google.cloud.pubsub_v1.PublisherClient.publish(topic, data, ordering_key="", **attrs)``."""

    def __init__(self, *topics: str) -> None:
        self.topics: dict[str, list[PublishedMessage]] = {name: [] for name in topics}
        self._ids = itertools.count(1)
        self.fail_with: Exception | None = None

    def publish(self, topic: str, data: bytes, ordering_key: str = "", **attrs: Any) -> FakeFuture:
        if not isinstance(data, bytes):  # the real client raises TypeError too
            raise TypeError("Data being published to Pub/Sub must be sent as a bytestring.")
        if self.fail_with is not None:
            return FakeFuture(None, self.fail_with)
        if topic not in self.topics:
            return FakeFuture(None, exceptions.NotFound(f"Resource not found (resource={topic})."))
        message_id = str(next(self._ids))
        self.topics[topic].append(PublishedMessage(topic, data, message_id, dict(attrs)))
        return FakeFuture(message_id)


class FakeSubscription:
    """Eventarc's push of a Pub/Sub subscription to a CloudEvent function, with redelivery and a dead-letter topic."""

    def __init__(self, publisher: FakePublisher, topic: str, dead_letter: str, *, max_delivery_attempts: int) -> None:
        self.publisher = publisher
        self.topic = topic
        self.dead_letter_topic = dead_letter
        self.max_delivery_attempts = max_delivery_attempts
        self.acked: list[str] = []

    def deliver(self, function: Callable[[CloudEvent], None]) -> None:
        """Deliver every pending message until each is acked or dead-lettered."""
        pending = self.publisher.topics[self.topic]
        while pending:
            message = pending.pop(0)
            message.delivery_attempt += 1
            try:
                function(cloud_event(message, self.topic))
            except Exception:
                if message.delivery_attempt >= self.max_delivery_attempts:
                    self.publisher.topics[self.dead_letter_topic].append(message)
                else:
                    pending.append(message)
            else:
                self.acked.append(message.message_id)


def cloud_event(message: PublishedMessage, topic: str) -> CloudEvent:
    """The CloudEvent Eventarc sends for a Pub/Sub message (``google.cloud.pubsub.topic.v1.messagePublished``)."""
    attributes = {
        "specversion": "1.0",
        "type": "google.cloud.pubsub.topic.v1.messagePublished",
        "source": f"//pubsub.googleapis.com/{topic}",
        "id": message.message_id,
        "time": "2026-01-19T17:02:11.000Z",
        "datacontenttype": "application/json",
    }
    data = {
        "message": {
            "data": base64.b64encode(message.data).decode(),
            "attributes": message.attributes,
            "messageId": message.message_id,
            "publishTime": "2026-01-19T17:02:11.000Z",
        },
        "subscription": topic.replace("/topics/", "/subscriptions/") + "-push",
        "deliveryAttempt": message.delivery_attempt,
    }
    return CloudEvent(attributes, data)
