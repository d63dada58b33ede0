"""The memory backends the shared behaviour suite runs against. A new backend adds one factory here."""

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


STORE_FACTORIES: dict[str, StoreFactory] = {"sqlite": sqlite_store, "mem0": mem0_store, "firestore": firestore_store}


@pytest.fixture(params=sorted(STORE_FACTORIES))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MemoryStore]:
    made = STORE_FACTORIES[request.param](request, tmp_path)
    yield made
    made.close()
