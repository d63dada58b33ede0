"""SQS queue, Secrets Manager secrets and the environment switch, against moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from functions.aws.archive import S3Archive
from functions.aws.ports import cloud_ports, memory_store, ports_from_environ
from functions.aws.queue import SqsQueue
from functions.aws.secrets import SecretsManagerSecrets
from functions.lazy import LazyClient
from functions.messages import decode_message
from shared.errors import ConfigError, StoreUnavailable
from shared.ingest.local import FileArchive, SqliteQueue
from shared.ingest.ports import ArchivedEvent
from shared.memory.models import Memory
from shared.secrets import EnvSecrets


class CountingClient:
    """Wraps a boto3 client and counts calls, to prove the secret is fetched once."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: list[str] = []

    def get_secret_value(self, **kwargs: Any) -> Any:
        self.calls.append("get_secret_value")
        return self.client.get_secret_value(**kwargs)


def test_sqs_message_body_is_only_the_key(aws_session: Any) -> None:
    sqs = aws_session.client("sqs")
    url = sqs.create_queue(QueueName="events")["QueueUrl"]
    SqsQueue(url, sqs_client=sqs).enqueue("post_call_transcription:conv_1")
    [message] = sqs.receive_message(QueueUrl=url)["Messages"]
    assert json.loads(message["Body"]) == {"key": "post_call_transcription:conv_1"}
    assert decode_message(message["Body"]) == "post_call_transcription:conv_1"


def test_sqs_failure_is_store_unavailable(aws_session: Any) -> None:
    queue = SqsQueue("https://sqs.us-east-1.amazonaws.com/123456789012/missing", sqs_client=aws_session.client("sqs"))
    with pytest.raises(StoreUnavailable):
        queue.enqueue("k")


@pytest.mark.parametrize("body", ["", "[]", '{"key": ""}', '{"key": 1}', "not json"])
def test_malformed_queue_messages_are_rejected(body: str) -> None:
    with pytest.raises(ValueError):
        decode_message(body)


def test_secrets_manager_reads_the_json_secret_once(aws_session: Any) -> None:
    client = aws_session.client("secretsmanager")
    arn = client.create_secret(Name="stack-a", SecretString=json.dumps({"ELEVENLABS_HMAC_KEY": "k1", "EMPTY": ""}))[
        "ARN"
    ]
    counting = CountingClient(client)
    secrets = SecretsManagerSecrets(arn, client=counting)
    assert counting.calls == []  # nothing fetched until the first lookup
    found = secrets.get("ELEVENLABS_HMAC_KEY")
    assert found is not None and found.reveal() == "k1"
    assert secrets.get("EMPTY") is None
    assert secrets.get("VAPI_SECRET") is None
    assert counting.calls == ["get_secret_value"]


@pytest.mark.parametrize("secret_string", ["not json", '["a"]', '"text"'])
def test_secret_that_is_not_a_json_object_stops_start_up_without_echoing_it(
    aws_session: Any, secret_string: str
) -> None:
    client = aws_session.client("secretsmanager")
    arn = client.create_secret(Name="stack-b", SecretString=secret_string)["ARN"]
    with pytest.raises(ConfigError) as caught:
        SecretsManagerSecrets(arn, client=client).get("ELEVENLABS_HMAC_KEY")
    assert secret_string not in str(caught.value)


def test_missing_secret_stops_start_up(aws_session: Any) -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-AbCdEf"
    with pytest.raises(ConfigError, match="ResourceNotFoundException"):
        SecretsManagerSecrets(arn, client=aws_session.client("secretsmanager")).get("ADMIN_API_KEY")


def test_environment_selects_cloud_ports_with_lazy_clients(aws_session: Any, data_dir: Path) -> None:
    arn = aws_session.client("secretsmanager").create_secret(Name="s", SecretString='{"ADMIN_API_KEY": "a"}')["ARN"]
    environ = {
        "ARCHIVE_BUCKET": "bucket-a",
        "ARCHIVE_PREFIX": "tenant-a/",
        "QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
        "SECRET_ARN": arn,
    }
    secrets, archive, queue = ports_from_environ(environ, data_dir, session_factory=lambda: aws_session)
    assert isinstance(archive, S3Archive) and isinstance(queue, SqsQueue)
    assert isinstance(secrets, SecretsManagerSecrets)
    assert not any(isinstance(c, LazyClient) and c.built for c in (archive._s3, queue._sqs))
    assert archive._prefix == "tenant-a/"


def test_environment_without_cloud_ports_uses_local_ones(data_dir: Path) -> None:
    def no_session() -> Any:
        raise AssertionError("boto3 must not be touched")

    secrets, archive, queue = ports_from_environ({}, data_dir, session_factory=no_session)
    assert isinstance(secrets, EnvSecrets)
    assert isinstance(archive, FileArchive) and isinstance(queue, SqliteQueue)


@pytest.mark.parametrize("only", ["ARCHIVE_BUCKET", "QUEUE_URL"])
def test_half_configured_environment_is_refused(data_dir: Path, only: str) -> None:
    with pytest.raises(ConfigError, match="must be set together"):
        ports_from_environ({only: "x"}, data_dir)


class RecordingSession:
    """A boto3 session that records how clients were asked for (the pending log's gets tight timeouts)."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.configs: list[tuple[str, Any]] = []

    def client(self, service: str, **kwargs: Any) -> Any:
        self.configs.append((service, kwargs.get("config")))
        return self.session.client(service, **kwargs)


@pytest.mark.parametrize("backend", ["mem0", "sqlite"])
def test_the_mem0_pending_log_is_the_buckets_own_prefix_only_with_mem0(
    aws_session: Any, data_dir: Path, backend: str
) -> None:
    aws_session.client("s3").create_bucket(Bucket="bucket-a")
    environ = {
        "ARCHIVE_BUCKET": "bucket-a",
        "QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
        "MEM0_PENDING_PREFIX": "pending-a/",
    }
    session = RecordingSession(aws_session)
    ports = cloud_ports(environ, data_dir, memory_backend=backend, read_timeout=0.7, session_factory=lambda: session)
    if backend == "sqlite":
        assert ports.pending_archive is None
        return
    pending = ports.pending_archive
    assert isinstance(pending, S3Archive) and pending._prefix == "pending-a/" and pending._bucket == "bucket-a"
    assert session.configs == []  # nothing built before first use
    pending.put_if_absent(ArchivedEvent("k", b"{}", datetime.now(UTC), "t"))
    [(service, config)] = session.configs
    assert service == "s3" and (config.connect_timeout, config.read_timeout) == (0.7, 0.7)
    assert aws_session.client("s3").get_object(Bucket="bucket-a", Key="pending-a/k")["Body"].read() == b"{}"


def test_local_ports_keep_the_pending_log_in_the_data_dir(data_dir: Path) -> None:
    ports = cloud_ports({}, data_dir, memory_backend="mem0")
    assert isinstance(ports.archive, FileArchive) and ports.pending_archive is None


def test_the_memory_stores_writes_get_their_own_client_and_the_pre_call_keeps_its_tight_one(aws_session: Any) -> None:
    """A transaction of up to 4 MB, a sweep or an erasure gets write timeouts; the pre-call's read stays tight."""
    from tests.functions.dynamodb import create_memory_table

    table = create_memory_table(aws_session.client("dynamodb"))
    session = RecordingSession(aws_session)
    store = memory_store({"MEMORY_TABLE": table}, read_timeout=0.7, session_factory=lambda: session)
    assert session.configs == []  # nothing built before first use
    now = datetime.now(UTC)
    store.add([Memory("m1", "+15555550123", "support", "factual", "A note", now, now + timedelta(days=1))])
    store.erase_user("+15555550199")
    [(service, config)] = session.configs
    assert service == "dynamodb" and config.read_timeout == 10 and config.connect_timeout == 3  # the defaults
    assert [m.id for m in store.get_all("+15555550123", "support", now=now)] == ["m1"]
    [_, (service, config)] = session.configs
    assert service == "dynamodb" and (config.connect_timeout, config.read_timeout) == (0.7, 0.7)
