"""A mistyped path holding a caller's number is answered 404 (or 401) and logged without the number, at every
level: only ``/users/...`` was masked before, so ``/admin/user/+1555...`` or ``/client-data/+1555...`` went to the
log whole."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from tests.conftest import CALLER, TEST_SECRETS, LocalRuntime

MISTYPED = (
    ("GET", f"/admin/user/{CALLER}/memories"),
    ("DELETE", f"/ADMIN/USERS/{CALLER}/MEMORIES"),
    ("POST", f"/client-data/{CALLER}"),
    ("GET", f"/analytics/caller/{CALLER.replace('+', '%2B')}"),
    ("GET", "/console/sip:+15555550123@trunk.example.com"),
    ("GET", "/retrieve/tel:555-555-0123"),
)


@pytest.mark.parametrize(("method", "path"), MISTYPED)
def test_a_mistyped_path_is_logged_without_the_number(
    method: str, path: str, local_runtime: Callable[..., LocalRuntime], caplog: pytest.LogCaptureFixture
) -> None:
    local = local_runtime()
    caplog.set_level(logging.DEBUG)
    answer = local.call(method, path, headers={"X-Admin-Key": TEST_SECRETS["ADMIN_API_KEY"]})
    assert answer.status in (401, 404, 405)
    assert caplog.records, "the request is logged"
    for digits in ("5555550123", "555-555-0123", "0123"):
        assert digits not in caplog.text
