"""A deployed AWS stack in moto, for tests that run the bundle's handlers under each function's own role.

``make_stack`` creates the program's resources (versioned archive bucket, queue and dead-letter queue, the one JSON
secret); ``Stack.runtime(role)`` is a cold start of that function with clients that obey its IAM policy.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from functions.aws import entry as aws
from infra.aws_iam import StackArns, function_policy
from shared.runtime import Runtime
from shared.secrets import Secret
from tests.conftest import CALLER, elevenlabs_post_call
from tests.fakes.mem0_server import API_KEY, FakeMem0Server
from tests.functions.aws_iam import RoleSession
from tests.functions.lambda_events import AGENT_TYPE, SECRET_VALUES, http_event, load_event, pre_call_event, sign

BUCKET = "am-test-archive-123456789012"
ADMIN = {"X-Admin-Key": SECRET_VALUES["ADMIN_API_KEY"]}
NAME_KEY = Secret(SECRET_VALUES["CALLER_REF_KEY"])


@dataclass
class Stack:
    """The stack's resources in moto, and one runtime per function, each under its own role."""

    session: Any
    queue_url: str
    dlq_url: str
    arns: StackArns
    queue_arns: dict[str, str]
    environ: dict[str, str]
    data_dir: Path
    roles: dict[str, RoleSession] = field(default_factory=dict)
    built: list[Runtime] = field(default_factory=list)

    @property
    def s3(self) -> Any:
        return self.session.client("s3")

    @property
    def sqs(self) -> Any:
        return self.session.client("sqs")

    def runtime(self, role: str, *, mem0_pending: bool = True) -> Runtime:
        """A cold start of ``role``'s function: its own /tmp, its own role's clients."""
        policy = function_policy(role, self.arns, mem0_pending=mem0_pending)  # type: ignore[arg-type]
        self.roles[role] = RoleSession(self.session, policy, queue_arns=self.queue_arns)
        environ = {**self.environ, "AGENTIC_MEMORY_DATA_DIR": str(self.data_dir / role)}
        self.built.append(aws.build(environ, session_factory=lambda: self.roles[role]))
        return self.built[-1]

    def close(self) -> None:
        for runtime in self.built:
            runtime.store.close()

    def versions(self, prefix: str = "events/") -> list[str]:
        """Every object version and delete marker's key under the prefix (what a noncurrent copy would leave)."""
        found = self.s3.list_object_versions(Bucket=BUCKET, Prefix=prefix)
        return sorted(item["Key"] for kind in ("Versions", "DeleteMarkers") for item in found.get(kind, []))

    def deliver(self, worker: Runtime, rounds: int = 10) -> list[dict[str, Any]]:
        """Lambda's SQS event source mapping with ReportBatchItemFailures: invoke, delete what did not fail."""
        template = load_event("sqs_batch.json")["Records"][0]
        results = []
        for _ in range(rounds):
            got = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            messages = got.get("Messages", [])
            if not messages:
                break
            records = [{**template, "messageId": m["MessageId"], "body": m["Body"]} for m in messages]
            result = aws.serve_batch(worker, {"Records": records})
            results.append(result)
            failed = {failure["itemIdentifier"] for failure in result["batchItemFailures"]}
            for message in messages:
                if message["MessageId"] not in failed:
                    self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return results


def make_stack(
    session: Any, data_dir: Path, mem0_url: str, *, caller_ref_key: str = SECRET_VALUES["CALLER_REF_KEY"]
) -> Stack:
    """The stack's resources as the program declares them (a versioned bucket, the queue with its dead-letter
    queue, the one JSON secret with the stack's ``CALLER_REF_KEY``), created in moto."""
    s3 = session.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    sqs = session.client("sqs")
    dlq_url = sqs.create_queue(QueueName="am-test-ingest-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})
    attributes = {"VisibilityTimeout": "0", "RedrivePolicy": redrive}
    queue_url = sqs.create_queue(QueueName="am-test-ingest", Attributes=attributes)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    values = {**SECRET_VALUES, "MEM0_API_KEY": API_KEY, "CALLER_REF_KEY": caller_ref_key}
    secret_arn = session.client("secretsmanager").create_secret(
        Name="am-test-secrets", SecretString=json.dumps(values)
    )["ARN"]
    log_group = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/am-test"
    environ = {
        "AGENT_TYPE": AGENT_TYPE,
        "MEMORY_BACKEND": "mem0",
        "MEM0_HOST": mem0_url,
        "ARCHIVE_BUCKET": BUCKET,
        "ARCHIVE_PREFIX": "events/",
        "MEM0_PENDING_PREFIX": "mem0-pending/",
        "QUEUE_URL": queue_url,
        "SECRET_ARN": secret_arn,
    }
    arns = StackArns(secret_arn, f"arn:aws:s3:::{BUCKET}", queue_arn, log_group)
    return Stack(session, queue_url, dlq_url, arns, {queue_url: queue_arn}, environ, data_dir)


def post_call(http: Runtime, **call: Any) -> dict[str, Any]:
    body = json.dumps(elevenlabs_post_call(**call)).encode()
    event = http_event("POST", "/post-call", {"ElevenLabs-Signature": sign(body)}, body)
    return aws.serve_http(http, event)


def answer(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def returning(http: Runtime, caller: str = CALLER) -> dict[str, Any]:
    event = pre_call_event()
    body = json.loads(event["body"])
    body["caller_id"] = caller
    event["body"], event["isBase64Encoded"] = json.dumps(body), False
    variables: dict[str, Any] = answer(aws.serve_http(http, event))["dynamic_variables"]
    return variables


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def mem0_users(mem0: FakeMem0Server) -> set[str]:
    return {item["user_id"] for item in mem0.memories()}
