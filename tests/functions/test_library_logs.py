"""With the root logger at DEBUG (a Lambda's application log level, a developer's ``basicConfig``), the clients beneath
the service log no secret, no caller's words and no phone number: botocore would log the stack's secret as Secrets
Manager returns it and every request's parameters, httpx every URL (a Mem0 erasure's names the caller)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shared.library_logs import LIBRARY_LOGGERS, quiet_libraries
from shared.memory.mem0 import Mem0MemoryStore
from shared.secrets import Secret
from tests.conftest import CALLER, TEST_SECRETS
from tests.functions.dynamodb import REGION


@pytest.fixture(autouse=True)
def fresh_library_levels() -> Iterator[None]:
    """Each test starts with the libraries' loggers as a new process has them (NOTSET)."""
    saved = {name: logging.getLogger(name).level for name in LIBRARY_LOGGERS}
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def test_the_aws_cold_start_logs_no_secret_at_debug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    boto3 = pytest.importorskip("boto3")
    from moto import mock_aws

    from functions.aws import entry

    for name, value in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        arn = boto3.client("secretsmanager").create_secret(Name="am-test", SecretString=json.dumps(TEST_SECRETS))["ARN"]
        environ = {
            "AGENT_TYPE": "elevenlabs_customer_support",
            "SECRET_ARN": arn,
            "AGENTIC_MEMORY_DATA_DIR": str(tmp_path),
            "AWS_DEFAULT_REGION": REGION,
        }
        caplog.set_level(logging.DEBUG)
        runtime = entry.build(environ)
        runtime.store.close()
    chatty = {record.name.split(".")[0] for record in caplog.records if record.levelno < logging.WARNING}
    assert "botocore" not in chatty
    for value in TEST_SECRETS.values():
        assert value not in caplog.text


def test_a_mem0_erasure_logs_no_caller_id(caplog: pytest.LogCaptureFixture) -> None:
    requests: list[httpx.Request] = []

    def mem0(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json={"results": [], "count": 0, "next": None, "message": "ok"})

    transport = httpx.MockTransport(mem0)
    store = Mem0MemoryStore(Secret("m0-test-key-000000000000"), transport=transport, sleep=lambda _: None)
    quiet_libraries()  # what every entry point's build_runtime does first
    caplog.set_level(logging.DEBUG)
    store.erase_user(CALLER)
    store.close()
    assert any("user_id" in str(request.url) or "%2B1555" in str(request.url) for request in requests)
    assert CALLER not in caplog.text and CALLER.replace("+", "%2B") not in caplog.text
