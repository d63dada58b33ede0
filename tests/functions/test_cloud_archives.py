"""One behaviour suite for every archive: S3 (moto), Cloud Storage (fake client), local files (reference)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from functions.aws.archive import S3Archive
from functions.gcp.archive import GcsArchive
from shared.errors import NotFound, StoreUnavailable
from shared.ingest.local import FileArchive
from shared.ingest.ports import Archive, ArchivedEvent
from tests.fakes.gcp_clients import FakeStorageClient
from tests.functions.aws_iam import denied
from tests.functions.gcs_iam import VersionedStorage

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


def test_erase_user_purges_that_callers_events_only(archive: Archive) -> None:
    for key, ref in (("a:1", "ref-1"), ("b:2", "ref-2"), ("c:3", "ref-1"), ("d:4", None)):
        archive.put_if_absent(event(key, user_ref=ref))
    assert archive.erase_user("ref-1") == ["a:1", "c:3"]
    assert sorted(entry.key for entry in archive.entries()) == ["b:2", "d:4"]
    assert archive.erase_user("ref-1") == []
    archive.purge("b:2")
    archive.purge("b:2")  # a missing key is not an error
    assert [entry.key for entry in archive.entries()] == ["d:4"]


def test_keys_under_a_prefix_are_the_live_ones_only(archive: Archive) -> None:
    """How the worker finds a caller's pending erase jobs (``erase/<ref>/``) before it remembers their call."""
    for key in ("erase/ref-1/job-a", "erase/ref-1/job-b", "erase/ref-2/job-c", "post_call_transcription:x"):
        archive.put_if_absent(event(key))
    assert archive.keys_under("erase/ref-1/") == ["erase/ref-1/job-a", "erase/ref-1/job-b"]
    archive.purge("erase/ref-1/job-a")  # a finished job
    assert archive.keys_under("erase/ref-1/") == ["erase/ref-1/job-b"]
    assert archive.keys_under("erase/ref-9/") == []


def test_cloud_archives_are_lifecycle_managed_local_files_are_not(archive: Archive) -> None:
    assert archive.lifecycle_managed is (not isinstance(archive, FileArchive))


def test_s3_erasure_removes_every_version_and_delete_marker(aws_session: Any) -> None:
    """On the stack's versioned bucket a delete leaves the raw transcript as a noncurrent version: not erasure."""
    s3 = aws_session.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    archive = S3Archive(BUCKET, s3_client=s3)
    archive.put_if_absent(event("a:1"))
    archive.delete("a:1")  # as the lifecycle's expiry does: a delete marker over a noncurrent version
    archive.put_if_absent(event("a:1", body=b"replayed"))  # and a replay of the same key
    archive.put_if_absent(event("b:2", user_ref="ref-2"))
    archive.put_if_absent(event("gone:3"))
    archive.delete("gone:3")  # only a noncurrent version left: still the caller's, still found

    def versions() -> list[str]:
        found = s3.list_object_versions(Bucket=BUCKET, Prefix="events/")
        return sorted(item["Key"] for kind in ("Versions", "DeleteMarkers") for item in found.get(kind, []))

    assert versions().count("events/a:1") == 3
    assert archive.erase_user("ref-1") == ["a:1", "gone:3"]
    assert versions() == ["events/b:2"]
    archive.purge("b:2")
    assert versions() == []


def test_gcs_erasure_removes_every_generation() -> None:
    storage = VersionedStorage(BUCKET)
    archive = GcsArchive(BUCKET, storage_client=storage)
    archive.put_if_absent(event("a:1"))
    archive.delete("a:1")  # noncurrent now
    archive.put_if_absent(event("a:1", body=b"replayed"))
    archive.put_if_absent(event("b:2", user_ref="ref-2"))
    assert storage.names(BUCKET) == ["events/a:1", "events/a:1", "events/b:2"]
    assert archive.erase_user("ref-1") == ["a:1"]
    assert storage.names(BUCKET) == ["events/b:2"]
    archive.purge("b:2")
    assert storage.names(BUCKET) == []


def test_s3_missing_key_is_not_found_even_where_s3_says_403(aws_session: Any) -> None:
    """A role that may not list the bucket gets 403 for a missing key; listing that one key tells them apart."""
    s3 = aws_session.client("s3")
    s3.create_bucket(Bucket=BUCKET)

    class Forbidding:
        def __init__(self, *, may_list: bool) -> None:
            self.may_list = may_list

        def get_object(self, **kwargs: Any) -> Any:
            try:
                return s3.get_object(**kwargs)
            except ClientError as exc:
                raise denied("GetObject") from exc

        def list_objects_v2(self, **kwargs: Any) -> Any:
            if not self.may_list:
                raise denied("ListObjectsV2")
            return s3.list_objects_v2(**kwargs)

    S3Archive(BUCKET, s3_client=s3).put_if_absent(event("a:10"))
    archive = S3Archive(BUCKET, s3_client=Forbidding(may_list=True))
    with pytest.raises(NotFound):
        archive.get("a:1")  # a prefix of an existing key is still absent
    assert archive.get("a:10").body == b'{"n": 1}'
    with pytest.raises(StoreUnavailable):
        S3Archive(BUCKET, s3_client=Forbidding(may_list=False)).get("a:1")


def test_replace_overwrites_and_keeps_one_copy(archive: Archive) -> None:
    archive.replace(event(body=b"first"))
    archive.replace(event(body=b"second", user_ref=None))
    assert archive.get(event().key).body == b"second"
    assert [entry.key for entry in archive.entries()] == [event().key]


def test_s3_replace_keeps_no_older_version_and_a_later_writers_version_survives(aws_session: Any) -> None:
    s3 = aws_session.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    archive = S3Archive(BUCKET, s3_client=s3, prefix="p/")
    for body in (b"one", b"two", b"three"):
        archive.replace(event(body=body))
    listing = s3.list_object_versions(Bucket=BUCKET)
    assert len(listing["Versions"]) == 1 and "DeleteMarkers" not in listing

    class Racing:
        """Another writer's put lands right after ours: ours is no longer the latest, so we leave the cleanup to it."""

        def __getattr__(self, name: str) -> Any:
            return getattr(s3, name)

        def put_object(self, **kwargs: Any) -> Any:
            written = s3.put_object(**kwargs)
            s3.put_object(**{**kwargs, "Body": b"later writer"})
            return written

    S3Archive(BUCKET, s3_client=Racing(), prefix="p/").replace(event(body=b"ours"))
    assert archive.get(event().key).body == b"later writer"
    archive.replace(event(body=b"after"))  # the next write converges to one version again
    assert len(s3.list_object_versions(Bucket=BUCKET)["Versions"]) == 1


def test_gcs_replace_keeps_no_older_generation() -> None:
    storage = VersionedStorage(BUCKET)
    archive = GcsArchive(BUCKET, storage_client=storage, prefix="p/")
    for body in (b"one", b"two", b"three"):
        archive.replace(event(body=body))
    assert storage.names(BUCKET) == ["p/" + event().key]
    assert archive.get(event().key).body == b"three"
