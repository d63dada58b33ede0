"""One behaviour suite for every archive: S3 (moto), Cloud Storage (fake client), local files (reference)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from functions.aws_ports import S3Archive
from functions.gcp_ports import GcsArchive
from shared.errors import NotFound, StoreUnavailable
from shared.ingest.local import FileArchive
from shared.ingest.ports import Archive, ArchivedEvent
from tests.fakes.gcp_clients import FakeStorageClient

BUCKET = "agentic-memory-archive-test"
WHEN = datetime(2026, 1, 19, 17, 2, 11, tzinfo=UTC)


def event(
    key: str = "post_call_transcription:conv_1", body: bytes = b'{"n": 1}', user_ref: str | None = "ref-1"
) -> ArchivedEvent:
    return ArchivedEvent(key, body, WHEN, "elevenlabs_customer_support", user_ref)


@pytest.fixture(params=["s3", "gcs", "files"])
def archive(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Archive]:
    if request.param == "s3":
        session = request.getfixturevalue("aws_session")
        s3 = session.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        yield S3Archive(BUCKET, s3_client=s3, prefix="events/")
    elif request.param == "gcs":
        yield GcsArchive(BUCKET, storage_client=FakeStorageClient(BUCKET), prefix="events/")
    else:
        yield FileArchive(tmp_path / "archive")


def test_put_if_absent_stores_once_and_never_overwrites(archive: Archive) -> None:
    assert archive.put_if_absent(event(body=b"first")) is True
    assert archive.put_if_absent(event(body=b"second")) is False
    stored = archive.get(event().key)
    assert stored.body == b"first"
    assert (stored.agent_type, stored.user_ref, stored.received_at) == ("elevenlabs_customer_support", "ref-1", WHEN)


def test_raw_bytes_round_trip(archive: Archive) -> None:
    body = b'{"text": "caf\xc3\xa9"}\r\n\x00\xff'
    archive.put_if_absent(event(body=body))
    assert archive.get(event().key).body == body


def test_missing_key_is_not_found(archive: Archive) -> None:
    with pytest.raises(NotFound):
        archive.get("post_call_transcription:nope")


def test_entries_list_metadata_without_bodies(archive: Archive) -> None:
    archive.put_if_absent(event("a:1"))
    archive.put_if_absent(event("b:2", user_ref=None))
    entries = {entry.key: entry for entry in archive.entries()}
    assert set(entries) == {"a:1", "b:2"}
    assert entries["a:1"].user_ref == "ref-1"
    assert entries["b:2"].user_ref is None
    assert entries["b:2"].received_at == WHEN


def test_delete_removes_and_tolerates_missing(archive: Archive) -> None:
    archive.put_if_absent(event())
    archive.delete(event().key)
    archive.delete(event().key)
    with pytest.raises(NotFound):
        archive.get(event().key)
    assert archive.put_if_absent(event()) is True  # an erased key may be archived again (replay)


def test_s3_object_key_metadata_and_no_phone_number(aws_session: Any) -> None:
    s3 = aws_session.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    S3Archive(BUCKET, s3_client=s3, prefix="tenant-a/events/").put_if_absent(event())
    head = s3.head_object(Bucket=BUCKET, Key="tenant-a/events/post_call_transcription:conv_1")
    assert head["Metadata"] == {
        "agent-type": "elevenlabs_customer_support",
        "user-ref": "ref-1",
        "received-at": WHEN.isoformat(),
    }


def test_s3_errors_other_than_conditional_are_store_unavailable(aws_session: Any) -> None:
    archive = S3Archive("no-such-bucket-here", s3_client=aws_session.client("s3"))
    with pytest.raises(StoreUnavailable):
        archive.put_if_absent(event())


def test_gcs_upload_is_conditional_on_generation_zero() -> None:
    client = FakeStorageClient(BUCKET)
    GcsArchive(BUCKET, storage_client=client).put_if_absent(event())
    assert client.calls == [("upload_from_string", "events/post_call_transcription:conv_1", 0)]


def test_gcs_errors_other_than_precondition_are_store_unavailable() -> None:
    archive = GcsArchive("missing-bucket", storage_client=FakeStorageClient(BUCKET))
    with pytest.raises(StoreUnavailable):
        archive.put_if_absent(event())
