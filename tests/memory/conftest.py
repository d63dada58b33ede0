"""The memory backends the shared behaviour suite runs against. A new backend adds one factory here.

A factory takes the test's ``request`` and ``tmp_path`` and returns a fresh, empty store. One that needs a
session-wide service (an emulator) asks for it with ``request.getfixturevalue(...)``; one that must undo
something after the test (stop a mock) registers it with ``request.addfinalizer(...)``. The store's ``close()``
is called after every test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shared.memory.sqlite import SqliteMemoryStore
from shared.memory.store import MemoryStore
from tests.memory.firestore_store import firestore_store

StoreFactory = Callable[[pytest.FixtureRequest, Path], MemoryStore]


def sqlite_store(request: pytest.FixtureRequest, tmp_path: Path) -> MemoryStore:
    return SqliteMemoryStore(tmp_path / "memories.db")


def mem0_store(request: pytest.FixtureRequest, tmp_path: Path) -> MemoryStore:
    from tests.fakes.mem0_server import serve_store

    return serve_store()


def dynamodb_store(request: pytest.FixtureRequest, tmp_path: Path) -> MemoryStore:
    """The DynamoDB store on moto (boto3 as deployed), its table created as the stack declares it."""
    import boto3
    from moto import mock_aws

    from functions.aws.store import DynamoDBMemoryStore
    from tests.functions.dynamodb import REGION, create_memory_table

    mock = mock_aws()
    mock.start()
    request.addfinalizer(mock.stop)
    client = boto3.client("dynamodb", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    return DynamoDBMemoryStore(create_memory_table(client), client=client)


STORE_FACTORIES: dict[str, StoreFactory] = {
    "sqlite": sqlite_store,
    "mem0": mem0_store,
    "dynamodb": dynamodb_store,
    "firestore": firestore_store,  # on the session's emulator
}


@pytest.fixture(params=sorted(STORE_FACTORIES))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MemoryStore]:
    made = STORE_FACTORIES[request.param](request, tmp_path)
    yield made
    made.close()
