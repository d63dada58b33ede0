"""AWS implementations of the archive, queue and secret ports: S3, SQS, Secrets Manager.

Each takes its boto3 client through the constructor; only ``functions.aws`` builds real clients, lazily, so
importing this module never imports boto3. Backends raise the core's errors: ``NotFound`` for a missing
event, ``StoreUnavailable`` (from the ``ClientError``) for anything else, ``ConfigError`` for a secret
that cannot be read at start-up.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from functions import archive_metadata
from functions.lazy import LazyClient
from functions.messages import encode_message
from functions.standalone import local_ports, wants_cloud_ports
from shared.errors import ConfigError, NotFound, StoreUnavailable
from shared.ingest.ports import Archive, ArchivedEvent, ArchiveEntry, Queue
from shared.secrets import EnvSecrets, Secret, SecretSource

DEFAULT_PREFIX = "events/"
CONDITIONAL_FAILURES = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412", "409"})
MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


def _error_code(exc: Exception) -> str:
    response: Mapping[str, Any] = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


class S3Archive(Archive):
    """Raw post-call bodies under ``prefix + idempotency key``; a redelivery never overwrites (``If-None-Match``)."""

    def __init__(self, bucket: str, *, s3_client: Any, prefix: str = DEFAULT_PREFIX) -> None:
        self._bucket = bucket
        self._prefix = prefix
        self._s3 = s3_client

    def _key(self, key: str) -> str:
        return self._prefix + key

    def put_if_absent(self, event: ArchivedEvent) -> bool:
        try:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=self._key(event.key),
                Body=event.body,
                IfNoneMatch="*",
                ContentType="application/octet-stream",
                Metadata=archive_metadata.to_metadata(event),
            )
        except Exception as exc:
            # 412: the key exists. 409: a concurrent conditional write of this key is in flight; that writer owns it.
            if _error_code(exc) in CONDITIONAL_FAILURES:
                return False
            raise StoreUnavailable("archive write failed") from exc
        return True

    def get(self, key: str) -> ArchivedEvent:
        try:
            found = self._s3.get_object(Bucket=self._bucket, Key=self._key(key))
            body = found["Body"].read()
        except Exception as exc:
            if _error_code(exc) in MISSING:
                raise NotFound(f"no archived event {key}") from exc
            raise StoreUnavailable("archive read failed") from exc
        entry = archive_metadata.to_entry(key, found.get("Metadata") or {}, found.get("LastModified"))
        return archive_metadata.with_body(entry, body)

    def entries(self) -> Iterator[ArchiveEntry]:
        try:
            pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=self._prefix)
            for page in pages:
                for item in page.get("Contents", []):
                    head = self._s3.head_object(Bucket=self._bucket, Key=item["Key"])
                    key = item["Key"][len(self._prefix) :]
                    yield archive_metadata.to_entry(key, head.get("Metadata") or {}, item.get("LastModified"))
        except Exception as exc:
            raise StoreUnavailable("archive listing failed") from exc

    def delete(self, key: str) -> None:
        try:
            self._s3.delete_object(Bucket=self._bucket, Key=self._key(key))
        except Exception as exc:
            raise StoreUnavailable("archive delete failed") from exc


class SqsQueue(Queue):
    def __init__(self, queue_url: str, *, sqs_client: Any) -> None:
        self._url = queue_url
        self._sqs = sqs_client

    def enqueue(self, key: str) -> None:
        try:
            self._sqs.send_message(QueueUrl=self._url, MessageBody=encode_message(key))
        except Exception as exc:
            raise StoreUnavailable("queue send failed") from exc


class SecretsManagerSecrets:
    """The stack's one JSON secret (``{"ELEVENLABS_HMAC_KEY": ...}``) by ARN, fetched once and kept for the process."""

    def __init__(self, secret_arn: str, *, client: Any) -> None:
        self._arn = secret_arn
        self._client = client
        self._values: dict[str, str] | None = None
        self._lock = threading.Lock()

    def _load(self) -> dict[str, str]:
        with self._lock:
            if self._values is None:
                self._values = self._fetch()
            return self._values

    def _fetch(self) -> dict[str, str]:
        try:
            raw = self._client.get_secret_value(SecretId=self._arn)["SecretString"]
        except Exception as exc:
            code = _error_code(exc) or type(exc).__name__
            raise ConfigError(f"cannot read the stack secret from Secrets Manager ({code})") from exc
        try:
            values = json.loads(raw)
        except ValueError:
            values = None
        if not isinstance(values, dict):
            raise ConfigError("the stack secret in Secrets Manager must be a JSON object of secret names")
        return {str(name): value for name, value in values.items() if isinstance(value, str)}

    def get(self, name: str) -> Secret | None:
        value = self._load().get(name, "")
        return Secret(value) if value else None


def _boto3_session() -> Any:
    import boto3  # in the Lambda runtime; imported only when a cloud port is built

    return boto3.session.Session()


def ports_from_environ(
    environ: Mapping[str, str], data_dir: Path, *, session_factory: Callable[[], Any] = _boto3_session
) -> tuple[SecretSource, Archive, Queue]:
    """The stack sets ``ARCHIVE_BUCKET``, ``QUEUE_URL`` and ``SECRET_ARN``; with none of the first two, local ports.

    The secret is read now (the verifiers need it at start-up); S3 and SQS clients are built on first use.
    """
    secrets: SecretSource = EnvSecrets(environ)
    session: Any = None
    if environ.get("SECRET_ARN"):
        session = session_factory()
        secrets = SecretsManagerSecrets(environ["SECRET_ARN"], client=session.client("secretsmanager"))
    if not wants_cloud_ports(environ, "ARCHIVE_BUCKET", "QUEUE_URL"):
        return (secrets, *local_ports(data_dir))
    session = session or session_factory()
    archive = S3Archive(
        environ["ARCHIVE_BUCKET"],
        s3_client=LazyClient(lambda: session.client("s3")),
        prefix=environ.get("ARCHIVE_PREFIX") or DEFAULT_PREFIX,
    )
    queue = SqsQueue(environ["QUEUE_URL"], sqs_client=LazyClient(lambda: session.client("sqs")))
    return secrets, archive, queue


__all__ = [
    "S3Archive",
    "SecretsManagerSecrets",
    "SqsQueue",
    "ports_from_environ",
]
