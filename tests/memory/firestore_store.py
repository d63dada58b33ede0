"""The Firestore store on the session's emulator, for the behaviour suite and the Firestore-only tests."""

from __future__ import annotations

import uuid

import pytest

from functions.gcp.store import FirestoreMemoryStore

DATABASE = "agentic-memory-test"


def firestore_store(request: pytest.FixtureRequest, *_: object) -> FirestoreMemoryStore:
    """A fresh, empty store: a project of its own on the emulator (the emulator keeps projects apart)."""
    request.getfixturevalue("firestore_emulator")
    return FirestoreMemoryStore(project=f"test-{uuid.uuid4().hex[:12]}", database=DATABASE)
