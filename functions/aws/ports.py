"""Builds the AWS ports from the stack's environment; botocore is imported only when a client is first needed.

The clients come from a botocore session, not boto3's: the same low-level clients, without importing boto3's
resources and s3transfer (about 0.4 s of a cold start, ``benchmarks/bench_cloud_store.py``). Tests may pass any
factory of an object with ``client(service, **kwargs)``, a ``boto3.session.Session`` included.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from functions.aws.archive import DEFAULT_PREFIX, S3Archive
from functions.aws.queue import SqsQueue
from functions.aws.secrets import SecretsManagerSecrets
from functions.lazy import LazyClient
from functions.standalone import Ports, local_ports, pending_prefix, wants_cloud_ports
from shared.errors import ConfigError
from shared.ingest.ports import Archive, Queue
from shared.memory.store import MemoryStore
from shared.secrets import EnvSecrets, SecretSource


class BotocoreSession:
    """``boto3.session.Session().client(...)`` without boto3: ``client`` is botocore's ``create_client``."""

    def __init__(self) -> None:
        import botocore.session  # in the Lambda runtime; imported only when a cloud port is built

        self._session = botocore.session.get_session()

    def client(self, service: str, **kwargs: Any) -> Any:
        return self._session.create_client(service, **kwargs)


def _boto3_session() -> Any:
    return BotocoreSession()


WRITE_TIMEOUT_SECONDS = 10.0  # a DynamoDB write (a transaction carries up to 4 MB), a sweep's or an erasure's page
WRITE_CONNECT_SECONDS = 3.0


def _tight_client(session: Any, service: str, seconds: float) -> Any:
    """A client for the pre-call path: botocore's 60 s timeouts would hold a caller for a minute."""
    from botocore.config import Config

    # total_max_attempts counts the first try; botocore's max_attempts counts retries only (2 made three attempts)
    retries = {"total_max_attempts": 2, "mode": "standard"}
    config = Config(connect_timeout=seconds, read_timeout=seconds, retries=retries)
    return session.client(service, config=config)


def _write_client(session: Any, service: str, seconds: float) -> Any:
    """A client for the worker's writes, the sweep and erasures: more time than a pre-call read, still bounded well
    within the worker's timeout."""
    from botocore.config import Config

    config = Config(
        connect_timeout=min(WRITE_CONNECT_SECONDS, seconds),
        read_timeout=seconds,
        retries={"total_max_attempts": 3, "mode": "standard"},
    )
    return session.client(service, config=config)


def memory_store(
    environ: Mapping[str, str],
    *,
    read_timeout: float = 1.5,
    write_timeout: float = WRITE_TIMEOUT_SECONDS,
    session: Any = None,
    session_factory: Callable[[], Any] = _boto3_session,
) -> MemoryStore:
    """The DynamoDB store (``MEMORY_BACKEND=dynamodb``) on the stack's ``MEMORY_TABLE``, with two clients built on
    first use: the pre-call path's reads get tight timeouts (``read_timeout``), writes, sweeps, erasures and analytics
    ``write_timeout``."""
    from functions.aws.store import DynamoDBMemoryStore

    table = environ.get("MEMORY_TABLE")
    if not table:
        raise ConfigError("MEMORY_BACKEND=dynamodb needs MEMORY_TABLE (the stack's table name)")
    shared = LazyClient(lambda: session or session_factory())  # one session for both clients, made on first use

    def reader() -> Any:
        return _tight_client(shared, "dynamodb", read_timeout)

    def writer() -> Any:
        return _write_client(shared, "dynamodb", write_timeout)

    return DynamoDBMemoryStore(table, client=LazyClient(reader), write_client=LazyClient(writer))


def cloud_ports(
    environ: Mapping[str, str],
    data_dir: Path,
    *,
    memory_backend: str = "sqlite",
    read_timeout: float = 1.5,
    session_factory: Callable[[], Any] = _boto3_session,
) -> Ports:
    """The stack sets ``ARCHIVE_BUCKET``, ``QUEUE_URL`` and ``SECRET_ARN``; with none of the first two, local ports.

    The secret is read now (the verifiers need it at start-up); S3 and SQS clients are built on first use. With
    the mem0 backend the pending log is the bucket's ``MEM0_PENDING_PREFIX``, read on the pre-call path with
    ``read_timeout``; with the dynamodb backend the store is the stack's ``MEMORY_TABLE``, read within the same.
    """
    secrets: SecretSource = EnvSecrets(environ)
    session: Any = None
    if environ.get("SECRET_ARN"):
        session = session_factory()
        secrets = SecretsManagerSecrets(environ["SECRET_ARN"], client=session.client("secretsmanager"))
    store = None
    if memory_backend == "dynamodb":
        session = session or session_factory()
        store = memory_store(environ, read_timeout=read_timeout, session=session)
    if not wants_cloud_ports(environ, "ARCHIVE_BUCKET", "QUEUE_URL"):
        return Ports(secrets, *local_ports(data_dir), store=store)
    session = session or session_factory()
    archive = S3Archive(
        environ["ARCHIVE_BUCKET"],
        s3_client=LazyClient(lambda: session.client("s3")),
        prefix=environ.get("ARCHIVE_PREFIX") or DEFAULT_PREFIX,
    )
    queue = SqsQueue(environ["QUEUE_URL"], sqs_client=LazyClient(lambda: session.client("sqs")))
    pending = None
    if memory_backend == "mem0":
        fast = LazyClient(lambda: _tight_client(session, "s3", read_timeout))
        pending = archive.with_prefix(pending_prefix(environ), s3_client=fast)
    return Ports(secrets, archive, queue, pending, store)


def ports_from_environ(
    environ: Mapping[str, str], data_dir: Path, *, session_factory: Callable[[], Any] = _boto3_session
) -> tuple[SecretSource, Archive, Queue]:
    """``cloud_ports`` without the pending log (operator tools that only read the archive)."""
    ports = cloud_ports(environ, data_dir, session_factory=session_factory)
    return ports.secrets, ports.archive, ports.queue


__all__ = ["cloud_ports", "memory_store", "ports_from_environ"]
