"""The worker runs at most as many at once on AWS as on GCP: a queue backlog neither floods the memory store nor
takes the account's shared concurrency from the pre-call path of this and every other stack in the region."""

from __future__ import annotations

from typing import Any

import pulumi

from infra.bundle import Bundle
from infra.program import run_program
from infra.spec import MAX_INSTANCES
from infra.stack_config import build_stack_config
from tests.infra.conftest import RecordingMocks, after_all, stack_values


@pulumi.runtime.test
def test_the_sqs_event_source_caps_the_workers_concurrency(
    mocks: RecordingMocks, bundle: Bundle
) -> pulumi.Output[None]:
    outputs = run_program(build_stack_config(stack_values("vapi_receptionist", "aws")), bundle)

    def check(_: dict[str, Any]) -> None:
        (mapping,) = mocks.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
        maximum = (mapping.inputs.get("scalingConfig") or {}).get("maximumConcurrency")
        assert maximum == MAX_INSTANCES  # the GCP worker's max instances: the same service on both clouds
        assert 2 <= maximum <= 1000  # what Lambda accepts
        (worker,) = [fn for fn in mocks.of_type("aws:lambda/function:Function") if fn.inputs["name"] == "am-dev-worker"]
        assert "reservedConcurrentExecutions" not in worker.inputs  # a cap, not a reservation taken from the pool

    return after_all(outputs).apply(check)
