"""The queue port on SQS: one message per archived event key."""

from __future__ import annotations

from typing import Any

from functions.messages import encode_message
from shared.errors import StoreUnavailable
from shared.ingest.ports import Queue


class SqsQueue(Queue):
    def __init__(self, queue_url: str, *, sqs_client: Any) -> None:
        self._url = queue_url
        self._sqs = sqs_client

    def enqueue(self, key: str) -> None:
        try:
            self._sqs.send_message(QueueUrl=self._url, MessageBody=encode_message(key))
        except Exception as exc:
            raise StoreUnavailable("queue send failed") from exc


__all__ = ["SqsQueue"]
