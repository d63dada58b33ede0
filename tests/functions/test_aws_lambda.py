"""The Lambda handlers end to end on moto: API Gateway -> S3 + SQS -> worker -> memories; retries and the DLQ."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from functions.aws import entry as aws
from functions.messages import decode_message
from shared.runtime import Runtime
from tests.functions.lambda_events import (
    AGENT_TYPE,
    CALLER,
    SECRET_VALUES,
    load_event,
    post_call_body,
    post_call_event,
    pre_call_event,
)

BUCKET = "agentic-memory-events-test"
MAX_RECEIVE_COUNT = 3
POST_CALL_KEY = "post_call_transcription:conv_01bundletest0000000000000"


@dataclass
class Stack:
    """What the Pulumi program creates, in moto: bucket, queue with redrive to a DLQ, one JSON secret."""

    session: Any
    queue_url: str
    dlq_url: str
    environ: dict[str, str]

    @property
    def s3(self) -> Any:
        return self.session.client("s3")

    @property
    def sqs(self) -> Any:
        return self.session.client("sqs")

    def messages(self, url: str) -> list[str]:
        """Bodies on a queue (received with a zero visibility timeout, so they stay)."""
        got = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        return [m["Body"] for m in got.get("Messages", [])]


@pytest.fixture
def stack(aws_session: Any, data_dir: Path) -> Stack:
    aws_session.client("s3").create_bucket(Bucket=BUCKET)
    sqs = aws_session.client("sqs")
    dlq_url = sqs.create_queue(QueueName="events-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)})
    queue_url = sqs.create_queue(QueueName="events", Attributes={"VisibilityTimeout": "0", "RedrivePolicy": redrive})[
        "QueueUrl"
    ]
    secret_arn = aws_session.client("secretsmanager").create_secret(
        Name="agentic-memory/tenant-a", SecretString=json.dumps(SECRET_VALUES)
    )["ARN"]
    environ = {
        "AGENT_TYPE": AGENT_TYPE,
        "MEMORY_BACKEND": "sqlite",
        "AGENTIC_MEMORY_DATA_DIR": str(data_dir),
        "ARCHIVE_BUCKET": BUCKET,
        "ARCHIVE_PREFIX": "events/",
        "QUEUE_URL": queue_url,
        "SECRET_ARN": secret_arn,
    }
    return Stack(aws_session, queue_url, dlq_url, environ)


@pytest.fixture
def runtime(stack: Stack) -> Runtime:
    return aws.build(stack.environ, session_factory=lambda: stack.session)


def event_source_mapping(stack: Stack, runtime: Runtime, rounds: int = 10) -> list[dict[str, Any]]:
    """What Lambda's SQS poller does with ReportBatchItemFailures: invoke, delete what did not fail."""
    template = load_event("sqs_batch.json")["Records"][0]
    results = []
    for _ in range(rounds):
        got = stack.sqs.receive_message(QueueUrl=stack.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"])
        messages = got.get("Messages", [])
        if not messages:
            break
        records = [
            {**template, "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"]}
            for m in messages
        ]
        result = aws.serve_batch(runtime, {"Records": records})
        results.append(result)
        failed = {failure["itemIdentifier"] for failure in result["batchItemFailures"]}
        for message in messages:
            if message["MessageId"] not in failed:
                stack.sqs.delete_message(QueueUrl=stack.queue_url, ReceiptHandle=message["ReceiptHandle"])
    return results


def body_of(response: dict[str, Any]) -> Any:
    raw = base64.b64decode(response["body"]) if response["isBase64Encoded"] else response["body"]
    return json.loads(raw)


def test_post_call_lands_in_s3_and_sqs_and_the_worker_writes_memories(stack: Stack, runtime: Runtime) -> None:
    response = aws.serve_http(runtime, post_call_event(base64_body=True))
    assert response["statusCode"] == 200, response

    stored = stack.s3.get_object(Bucket=BUCKET, Key=f"events/{POST_CALL_KEY}")
    assert stored["Body"].read() == post_call_body()  # the raw bytes as signed, base64 decoded
    assert CALLER not in json.dumps(stored["Metadata"])
    assert stored["Metadata"]["agent-type"] == AGENT_TYPE
    assert [json.loads(body) for body in stack.messages(stack.queue_url)] == [{"key": POST_CALL_KEY}]

    before = body_of(aws.serve_http(runtime, pre_call_event()))
    assert before["dynamic_variables"]["returning_caller"] != "yes"

    [result] = event_source_mapping(stack, runtime)
    assert result == {"batchItemFailures": []}
    after = body_of(aws.serve_http(runtime, pre_call_event()))
    assert after["dynamic_variables"]["returning_caller"] == "yes"
    assert after["dynamic_variables"]["caller_name"] == "Dana"
    assert "Dana" in after["conversation_config_override"]["agent"]["first_message"]


def test_redelivered_post_call_changes_nothing(stack: Stack, runtime: Runtime) -> None:
    aws.serve_http(runtime, post_call_event())
    event_source_mapping(stack, runtime)
    head = stack.s3.head_object(Bucket=BUCKET, Key=f"events/{POST_CALL_KEY}")
    first = body_of(aws.serve_http(runtime, pre_call_event()))

    again = aws.serve_http(runtime, post_call_event())  # the platform retries the webhook
    assert again["statusCode"] == 200
    assert body_of(again)["status"] == "duplicate"
    event_source_mapping(stack, runtime)

    assert stack.s3.head_object(Bucket=BUCKET, Key=f"events/{POST_CALL_KEY}")["ETag"] == head["ETag"]
    assert body_of(aws.serve_http(runtime, pre_call_event())) == first
    assert stack.messages(stack.dlq_url) == []


def test_failing_messages_go_to_the_dead_letter_queue_after_the_configured_retries(
    stack: Stack, runtime: Runtime
) -> None:
    stack.s3.put_object(Bucket=BUCKET, Key="events/post_call_transcription:broken", Body=b"{not json")
    stack.sqs.send_message(QueueUrl=stack.queue_url, MessageBody=json.dumps({"key": "post_call_transcription:broken"}))
    stack.sqs.send_message(QueueUrl=stack.queue_url, MessageBody="not a queue message")
    aws.serve_http(runtime, post_call_event())  # a good one in the same batches

    results = event_source_mapping(stack, runtime)

    assert len(results) == MAX_RECEIVE_COUNT
    assert all(len(result["batchItemFailures"]) == 2 for result in results)
    assert stack.messages(stack.queue_url) == []
    assert sorted(stack.messages(stack.dlq_url)) == sorted(
        [json.dumps({"key": "post_call_transcription:broken"}), "not a queue message"]
    )
    assert body_of(aws.serve_http(runtime, pre_call_event()))["dynamic_variables"]["caller_name"] == "Dana"


def test_bad_signature_is_rejected_and_nothing_is_stored(stack: Stack, runtime: Runtime) -> None:
    event = post_call_event()
    event["headers"]["elevenlabs-signature"] = "t=1,v0=" + "0" * 64
    response = aws.serve_http(runtime, event)
    assert response["statusCode"] == 401
    assert set(body_of(response)) == {"error"}
    assert stack.s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
    assert stack.messages(stack.queue_url) == []


def test_signature_is_checked_over_the_decoded_bytes(stack: Stack, runtime: Runtime) -> None:
    event = post_call_event(base64_body=True)
    tampered = base64.b64decode(event["body"]).replace(b"Dana", b"Dina")
    event["body"] = base64.b64encode(tampered).decode()
    assert aws.serve_http(runtime, event)["statusCode"] == 401


class LambdaContext:
    """The one method of Lambda's context the worker reads; answers the given times left, then the last one."""

    def __init__(self, *milliseconds: int) -> None:
        self._left = list(milliseconds)

    def get_remaining_time_in_millis(self) -> int:
        return self._left.pop(0) if len(self._left) > 1 else self._left[0]


def two_queued_calls(stack: Stack, runtime: Runtime) -> list[dict[str, Any]]:
    for conversation in ("conv_01bundletest0000000000000", "conv_02bundletest0000000000000"):
        body = post_call_body().replace(b"conv_01bundletest0000000000000", conversation.encode())
        assert aws.serve_http(runtime, post_call_event(body))["statusCode"] == 200
    got = stack.sqs.receive_message(QueueUrl=stack.queue_url, MaxNumberOfMessages=10)["Messages"]
    template = load_event("sqs_batch.json")["Records"][0]
    return [{**template, "messageId": m["MessageId"], "body": m["Body"]} for m in got]


def test_a_message_is_not_started_without_the_time_to_finish_it(stack: Stack, runtime: Runtime) -> None:
    """A Lambda that times out returns the whole batch, its finished messages too, as an error: with one second
    left after the first message the second goes back to the queue unstarted, the first is acknowledged."""
    records = two_queued_calls(stack, runtime)
    context = LambdaContext(60_000, 1_000)
    result = aws.serve_batch(runtime, {"Records": records}, context.get_remaining_time_in_millis)
    assert result == {"batchItemFailures": [{"itemIdentifier": records[1]["messageId"]}]}
    assert remembered_events(runtime) == {decode_message(records[0]["body"])}

    assert aws.serve_batch(runtime, {"Records": records[1:]}, LambdaContext(60_000).get_remaining_time_in_millis) == {
        "batchItemFailures": []
    }
    assert remembered_events(runtime) == {decode_message(record["body"]) for record in records}


def test_the_lambda_handler_reads_the_time_left_from_its_context(
    stack: Stack, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = two_queued_calls(stack, runtime)
    monkeypatch.setattr(aws.COLD_START, "runtime", lambda: runtime)
    result = aws.worker_handler({"Records": records}, LambdaContext(1_000))
    assert result == {"batchItemFailures": [{"itemIdentifier": record["messageId"]} for record in records]}
    assert remembered_events(runtime) == set()


def remembered_events(runtime: Runtime) -> set[str]:
    return {str(memory.metadata.get("event")) for memory in runtime.store.scan(AGENT_TYPE, now=runtime.clock())}
