"""The AWS clients make the attempts the docs promise ("1.5 s, 2 attempts" for a pre-call read, 3 for a write):
botocore's ``max_attempts`` counts retries, so ``2`` made three attempts and a hung DynamoDB held a pre-call for
over 5 s before it was answered as a new caller."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from functions.aws import ports
from shared.errors import StoreUnavailable


@pytest.fixture
def hung_endpoint() -> Iterator[tuple[str, list[socket.socket]]]:
    """A server that accepts every connection and never answers; the list holds what it accepted."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", accepted
    server.close()
    for connection in accepted:
        connection.close()


def test_a_hung_table_is_read_twice_then_answered_unavailable(
    hung_endpoint: tuple[str, list[socket.socket]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, accepted = hung_endpoint
    import boto3

    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1")
    monkeypatch.setattr(session, "client", _pointed_at(session.client, url))
    store = ports.memory_store({"MEMORY_TABLE": "am-test-memories"}, read_timeout=0.3, session=session)
    with pytest.raises(StoreUnavailable):
        store.get_all("+15555550123", "elevenlabs_customer_support", now=datetime.now(UTC), limit=500)
    assert len(accepted) == 2


def _pointed_at(make, url: str):  # type: ignore[no-untyped-def]
    def client(service: str, **options):  # type: ignore[no-untyped-def]
        return make(service, endpoint_url=url, **options)

    return client
