"""Fixtures for the cloud edges: moto's in-process AWS and a data directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.functions.lambda_events import REGION


@pytest.fixture
def aws_session() -> Iterator[Any]:
    """A boto3 session against moto's in-process AWS (S3, SQS, Secrets Manager)."""
    boto3 = pytest.importorskip("boto3")
    from moto import mock_aws

    with mock_aws():
        yield boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"
