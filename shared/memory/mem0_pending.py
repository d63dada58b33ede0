"""The pending log: memories posted to Mem0 that Mem0 does not list yet (its adds are asynchronous).

The worker writes an entry right after Mem0 accepts an add and removes it once Mem0 lists the memory; the
read path merges fresh entries into what Mem0 returns, so a caller who calls back within seconds is still
recognised. The HTTP function and the worker must share one log for that to hold across processes:
``InMemoryPendingLog`` covers one process (local ``serve``), ``DirectoryPendingLog`` processes on one
machine, ``ArchivePendingLog`` any cloud archive (give it its own bucket or prefix, never the event archive).

A record holds the caller's memories, so it is named by a keyed hash (``CALLER_REF_KEY``) and rewritten with
``Archive.replace``, which keeps no older version in a versioned bucket; ``erase`` removes every version of the
record, under the keyed name and the unkeyed one earlier versions used.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from shared.clock import Clock, utc_now
from shared.errors import NotFound
from shared.ingest.ports import Archive, ArchivedEvent
from shared.keyed_hash import keyed_hash
from shared.memory.mem0_codec import memory_from_json, memory_to_json
from shared.memory.models import Memory
from shared.private_files import private_dir, write_private
from shared.secrets import Secret

PREFIX = "mem0-pending-"
NAME_PURPOSE = "mem0-pending"


@dataclass(frozen=True)
class PendingMemory:
    memory: Memory
    posted_at: datetime
    event_id: str | None = None  # Mem0's add event: its status says whether an accepted add failed afterwards


class PendingLog(ABC):
    """Keyed by caller: the read path asks for one caller's entries, with one lookup."""

    @abstractmethod
    def get(self, user_id: str) -> list[PendingMemory]: ...

    @abstractmethod
    def put(self, user_id: str, entries: Sequence[PendingMemory]) -> None:
        """Add or replace entries by memory id."""

    @abstractmethod
    def remove(self, user_id: str, memory_ids: Collection[str]) -> None:
        """Forget these entries (Mem0 lists them now); with no ids left the caller's record goes."""

    @abstractmethod
    def callers(self) -> list[str]:
        """Every caller with an entry (operator reads: a caller Mem0 does not list yet still counts)."""

    def erase(self, user_id: str) -> None:
        """Forget the caller entirely (erasure): every entry, and every stored copy of their record."""
        self.remove(user_id, [entry.memory.id for entry in self.get(user_id)])

    def prune(self, stale: Callable[[PendingMemory], bool]) -> int:
        """Drop the entries no read uses any more (``stale``: past the pending TTL); returns how many. Deployed, the
        bucket's lifecycle rule expires records, so only a log nothing else expires (a directory) prunes."""
        return 0


class InMemoryPendingLog(PendingLog):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, dict[str, PendingMemory]] = {}

    def get(self, user_id: str) -> list[PendingMemory]:
        with self._lock:
            return list(self._entries.get(user_id, {}).values())

    def put(self, user_id: str, entries: Sequence[PendingMemory]) -> None:
        with self._lock:
            self._entries.setdefault(user_id, {}).update({e.memory.id: e for e in entries})

    def remove(self, user_id: str, memory_ids: Collection[str]) -> None:
        with self._lock:
            mine = self._entries.get(user_id, {})
            for memory_id in memory_ids:
                mine.pop(memory_id, None)
            if not mine:
                self._entries.pop(user_id, None)

    def callers(self) -> list[str]:
        with self._lock:
            return [user_id for user_id, entries in self._entries.items() if entries]


class _SerializedLog(PendingLog):
    """One JSON document per caller, named by a keyed hash of the user id (no phone number in any name, and no
    name that a guess at the number could be checked against)."""

    def __init__(self, name_key: Secret) -> None:
        self._name_key = name_key

    def _name(self, user_id: str) -> str:
        return PREFIX + keyed_hash(self._name_key, NAME_PURPOSE, user_id) + ".json"

    @abstractmethod
    def _read(self, name: str) -> bytes | None: ...

    @abstractmethod
    def _write(self, name: str, data: bytes | None) -> None: ...

    @abstractmethod
    def _names(self) -> list[str]:
        """Every document's name (names are hashes: the caller is read from the document)."""

    def get(self, user_id: str) -> list[PendingMemory]:
        return list(self._load(user_id).values())

    def put(self, user_id: str, entries: Sequence[PendingMemory]) -> None:
        current = self._load(user_id)
        current.update({e.memory.id: e for e in entries})
        self._store(user_id, current)

    def remove(self, user_id: str, memory_ids: Collection[str]) -> None:
        current = self._load(user_id)
        if any(memory_id in current for memory_id in memory_ids) or not current:
            self._store(user_id, {k: v for k, v in current.items() if k not in memory_ids})

    def callers(self) -> list[str]:
        found = {entry.memory.user_id for name in self._names() for entry in self._parse(self._read(name)).values()}
        return sorted(found)

    def erase(self, user_id: str) -> None:
        for name in (self._name(user_id), legacy_name(user_id)):
            self._write(name, None)

    def _load(self, user_id: str) -> dict[str, PendingMemory]:
        return self._parse(self._read(self._name(user_id)))

    @staticmethod
    def _parse(data: bytes | None) -> dict[str, PendingMemory]:
        if not data:
            return {}
        rows = json.loads(data)
        return {
            row["memory"]["id"]: PendingMemory(
                memory_from_json(row["memory"]), datetime.fromisoformat(row["posted_at"]), row.get("event_id")
            )
            for row in rows
        }

    def _store(self, user_id: str, entries: dict[str, PendingMemory]) -> None:
        self._write(self._name(user_id), self._serialized(entries))

    @staticmethod
    def _serialized(entries: dict[str, PendingMemory]) -> bytes | None:
        rows = [
            {"memory": memory_to_json(e.memory), "posted_at": e.posted_at.isoformat(), "event_id": e.event_id}
            for e in entries.values()
        ]
        return json.dumps(rows).encode() if rows else None


class DirectoryPendingLog(_SerializedLog):
    def __init__(self, directory: Path, *, name_key: Secret) -> None:
        super().__init__(name_key)
        self._directory = directory
        private_dir(directory)

    def _read(self, name: str) -> bytes | None:
        try:
            return (self._directory / name).read_bytes()
        except FileNotFoundError:
            return None

    def _write(self, name: str, data: bytes | None) -> None:
        path = self._directory / name
        if data is None:
            path.unlink(missing_ok=True)
            return
        temporary = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        write_private(temporary, data)
        temporary.replace(path)  # atomic: a reader never sees half a document

    def _names(self) -> list[str]:
        return [path.name for path in self._directory.glob(f"{PREFIX}*.json")]

    def prune(self, stale: Callable[[PendingMemory], bool]) -> int:
        """An add Mem0 never listed (failed for good, its event dead-lettered) left its record here for ever: the
        caller's words and number outliving the memory's retention. The sweep drops what no read uses any more."""
        dropped = 0
        for name in self._names():
            entries = self._parse(self._read(name))
            kept = {memory_id: entry for memory_id, entry in entries.items() if not stale(entry)}
            if len(kept) != len(entries):
                self._write(name, self._serialized(kept))
                dropped += len(entries) - len(kept)
        return dropped


class ArchivePendingLog(_SerializedLog):
    """Over any ``Archive`` (S3, Cloud Storage, files). The archive must be reserved for this log."""

    def __init__(self, archive: Archive, *, agent_type: str, name_key: Secret, clock: Clock = utc_now) -> None:
        super().__init__(name_key)
        self._archive = archive
        self._agent_type = agent_type
        self._clock = clock

    def _read(self, name: str) -> bytes | None:
        try:
            return self._archive.get(name).body
        except NotFound:
            return None

    def _write(self, name: str, data: bytes | None) -> None:
        """A rewrite leaves no older version behind (``replace``); a removal leaves none at all (``purge``)."""
        if data is None:
            self._archive.purge(name)
        else:
            self._archive.replace(ArchivedEvent(name, data, self._clock(), self._agent_type))

    def _names(self) -> list[str]:
        return [entry.key for entry in self._archive.entries() if entry.key.startswith(PREFIX)]


def legacy_name(user_id: str) -> str:
    """The unkeyed name earlier versions gave a record (erasure still removes it; new records never use it)."""
    return PREFIX + hashlib.sha256(user_id.encode()).hexdigest()[:32] + ".json"
