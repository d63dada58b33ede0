"""Authentication failures alarm on both clouds (original-system.md, defect 4: a rotated key failed unseen)."""

from __future__ import annotations

import logging
from typing import Any

import pulumi
import pytest

from infra.program import run_program
from infra.stack_config import build_stack_config
from shared.http import Request
from tests.conftest import make_local_runtime
from tests.infra.conftest import RecordingMocks, after_all, stack_values


def _logged_line(tmp_path: Any) -> str:
    """What the HTTP function logs for a wrong secret, at the level Lambda's root logger lets through."""
    local = make_local_runtime(tmp_path, "elevenlabs_customer_support")
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger().addHandler(handler)
    try:
        local.runtime.app.handle(Request.build("POST", "/client-data", {"X-Workspace-Key": "old"}, b"{}"))
    finally:
        logging.getLogger().removeHandler(handler)
    (record,) = records
    return record.getMessage()


@pulumi.runtime.test
def test_aws_counts_the_http_functions_authentication_failures(
    mocks: RecordingMocks, bundle: Any, tmp_path: Any
) -> pulumi.Output[None]:
    line = _logged_line(tmp_path)
    outputs = run_program(build_stack_config(stack_values("elevenlabs_customer_support", "aws")), bundle)

    def check(_: dict[str, Any]) -> None:
        (metric_filter,) = mocks.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")
        assert metric_filter.inputs["logGroupName"] == "/aws/lambda/am-dev-http"
        phrase = metric_filter.inputs["pattern"].strip('"')
        assert phrase in line  # the filter matches what the app logs
        transformation = metric_filter.inputs["metricTransformation"]
        (alarm,) = [
            a
            for a in mocks.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
            if a.inputs["metricName"] == transformation["name"]
        ]
        assert alarm.inputs["namespace"] == transformation["namespace"]
        assert alarm.inputs["alarmActions"] == [mocks.of_type("aws:sns/topic:Topic")[0].state["arn"]]

    return after_all(outputs).apply(check)


@pulumi.runtime.test
def test_gcp_alerts_on_the_http_functions_401s(mocks: RecordingMocks, bundle: Any) -> pulumi.Output[None]:
    outputs = run_program(build_stack_config(stack_values("elevenlabs_customer_support", "gcp")), bundle)

    def check(_: dict[str, Any]) -> None:
        filters = [
            condition["conditionThreshold"]["filter"]
            for policy in mocks.of_type("gcp:monitoring/alertPolicy:AlertPolicy")
            for condition in policy.inputs["conditions"]
        ]
        auth = [f for f in filters if 'response_code="401"' in f]
        assert len(auth) == 1 and 'service_name="am-dev-http"' in auth[0]

    return after_all(outputs).apply(check)


def test_the_app_logs_authentication_failures_at_warning(tmp_path: Any) -> None:
    assert "authentication failed on POST /client-data" in _logged_line(tmp_path)


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
