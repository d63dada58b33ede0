"""The memory backend registry (``MEMORY_BACKEND``); each backend is imported only when chosen."""

from __future__ import annotations

from collections.abc import Callable

from shared.errors import ConfigError
from shared.memory.store import MemoryStore
from shared.secrets import SecretSource
from shared.settings import Settings


def _sqlite(settings: Settings, secrets: SecretSource) -> MemoryStore:
    from shared.memory.sqlite import SqliteMemoryStore

    return SqliteMemoryStore(settings.data_dir / "memories.db")


def _mem0(settings: Settings, secrets: SecretSource) -> MemoryStore:
    from shared.memory.mem0 import Mem0MemoryStore

    api_key = secrets.get("MEM0_API_KEY")
    if not api_key:
        raise ConfigError("secret MEM0_API_KEY is not set but MEMORY_BACKEND=mem0 needs it")
    return Mem0MemoryStore(
        api_key=api_key,
        host=settings.mem0_host,
        read_timeout=settings.mem0_read_timeout,
        write_timeout=settings.mem0_write_timeout,
    )


BACKENDS: dict[str, Callable[[Settings, SecretSource], MemoryStore]] = {"sqlite": _sqlite, "mem0": _mem0}


def build_store(settings: Settings, secrets: SecretSource) -> MemoryStore:
    try:
        factory = BACKENDS[settings.memory_backend]
    except KeyError:
        raise ConfigError(f"unknown MEMORY_BACKEND {settings.memory_backend!r}") from None
    return factory(settings, secrets)
