"""A deployed erasure is a job the worker runs later, and SQS keeps no order: a call queued before the erasure may
be processed before its job. It must not bring the caller back in between (nor after, if the job fails)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import CALLER
from tests.functions.test_aws_dynamodb_stack import ADMIN, Stack, call, post_call, pre_call, stack

__all__ = ["stack"]  # the fixture


def test_a_call_queued_before_an_erasure_and_processed_before_its_job_is_forgotten(stack: Stack) -> None:
    http, worker = stack.runtime("http"), stack.runtime("worker")
    assert post_call(http, conversation_id="conv_win_1") == 200
    assert stack.deliver(worker) == [{"batchItemFailures": []}]
    assert pre_call(http)["returning_caller"] == "yes"

    assert post_call(http, conversation_id="conv_win_2") == 200  # queued, not yet processed
    status, _ = call(http, "DELETE", f"/admin/users/{CALLER}/memories", ADMIN)
    assert status == 202
    # the queue hands the worker the older event first, the erase job later
    assert worker.worker.process("post_call_transcription:conv_win_2") == 0
    assert stack.items(CALLER) == []
    seen = pre_call(http)
    assert (seen["returning_caller"], seen["caller_name"], seen["memory_count"]) == ("no", "", "0")

    stack.deliver(worker)  # the job, and the event's message again: nothing comes back
    assert stack.items(CALLER) == [] and pre_call(http)["returning_caller"] == "no"
    # a call after the erasure is a new call, remembered
    started = int((datetime.now(UTC) + timedelta(seconds=2)).timestamp())  # clamped to its arrival, after the erasure
    assert post_call(http, conversation_id="conv_win_3", started=started) == 200
    stack.deliver(worker)
    assert pre_call(http)["returning_caller"] == "yes"
