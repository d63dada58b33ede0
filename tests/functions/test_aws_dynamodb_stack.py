"""The AWS stack in its deployed shape on the default backend, DynamoDB: the three Lambda handlers on moto (S3, SQS,
Secrets Manager, the memory table as the stack declares it), each under exactly its role's policy.

A signed post-call through an API Gateway event is archived and queued; the worker's SQS batch writes the table;
the pre-call recognises the caller; the tool finds what only the transcript said; erasure leaves nothing of the
caller; the sweeper deletes what expired. Every table action a function needs is granted and every one granted is
used: the roles' grants are what the code does, no more.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from functions.aws import entry as aws
from functions.aws.store import DynamoDBMemoryStore
from infra.aws_iam import StackArns, function_policy
from shared.memory.models import Memory
from shared.runtime import Runtime
from tests.conftest import CALLER, OTHER_CALLER, elevenlabs_post_call
from tests.functions.aws_iam import DYNAMODB_ACCOUNT, RoleSession
from tests.functions.dynamodb import create_memory_table
from tests.functions.lambda_events import AGENT_TYPE, SECRET_VALUES, http_event, load_event, pre_call_event, sign

BUCKET = "am-test-archive-123456789012"
TABLE = "am-test-memories"
ADMIN = {"X-Admin-Key": SECRET_VALUES["ADMIN_API_KEY"]}
TOOL = {"X-Workspace-Key": SECRET_VALUES["ELEVENLABS_WORKSPACE_KEY"]}


@dataclass
class Stack:
    session: Any
    queue_url: str
    arns: StackArns
    queue_arns: dict[str, str]
    environ: dict[str, str]
    data_dir: Path
    roles: dict[str, RoleSession] = field(default_factory=dict)

    def runtime(self, role: str) -> Runtime:
        """A cold start of ``role``'s Lambda: its own /tmp, clients that obey its role's policy only."""
        self.roles[role] = RoleSession(self.session, function_policy(role, self.arns), queue_arns=self.queue_arns)  # type: ignore[arg-type]
        environ = {**self.environ, "AGENTIC_MEMORY_DATA_DIR": str(self.data_dir / role)}
        return aws.build(environ, session_factory=lambda: self.roles[role])

    def deliver(self, worker: Runtime, rounds: int = 10) -> list[dict[str, Any]]:
        """Lambda's SQS event source mapping (ReportBatchItemFailures): receive, invoke, delete what succeeded."""
        sqs = self.session.client("sqs")
        template = load_event("sqs_batch.json")["Records"][0]
        results: list[dict[str, Any]] = []
        while len(results) < rounds and (
            messages := sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
        ):
            records = [{**template, "messageId": m["MessageId"], "body": m["Body"]} for m in messages]
            results.append(aws.serve_batch(worker, {"Records": records}))
            failed = {failure["itemIdentifier"] for failure in results[-1]["batchItemFailures"]}
            for message in messages:
                if message["MessageId"] not in failed:
                    sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return results

    def deliver_once(self, worker: Runtime) -> list[dict[str, Any]]:
        return self.deliver(worker, rounds=1)

    def items(self, user_id: str) -> list[dict[str, Any]]:
        found = self.session.client("dynamodb").query(
            TableName=TABLE,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"C#{user_id}"}},
        )
        return list(found["Items"])

    def table_actions(self, role: str) -> set[tuple[str, str]]:
        return {(action, resource) for action, resource in self.roles[role].calls if action.startswith("dynamodb:")}


@pytest.fixture
def stack(aws_session: Any, tmp_path: Path) -> Iterator[Stack]:
    s3 = aws_session.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    sqs = aws_session.client("sqs")
    queue_url = sqs.create_queue(QueueName="am-test-ingest", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    secret_arn = aws_session.client("secretsmanager").create_secret(
        Name="am-test-secrets", SecretString=json.dumps(SECRET_VALUES)
    )["ARN"]
    create_memory_table(aws_session.client("dynamodb"), TABLE)
    environ = {
        "AGENT_TYPE": AGENT_TYPE,
        "MEMORY_BACKEND": "dynamodb",
        "MEMORY_TABLE": TABLE,
        "ARCHIVE_BUCKET": BUCKET,
        "ARCHIVE_PREFIX": "events/",
        "QUEUE_URL": queue_url,
        "SECRET_ARN": secret_arn,
    }
    log_group = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/am-test"
    table_arn = f"{DYNAMODB_ACCOUNT}:table/{TABLE}"
    arns = StackArns(secret_arn, f"arn:aws:s3:::{BUCKET}", queue_arn, log_group, table_arn)
    yield Stack(aws_session, queue_url, arns, {queue_url: queue_arn}, environ, tmp_path)


def call(http: Runtime, method: str, path: str, headers: dict[str, str], body: Any = None, **query: str) -> Any:
    raw = b"" if body is None else json.dumps(body).encode()
    response = aws.serve_http(http, http_event(method, path, headers, raw, query=query or None))
    return response["statusCode"], json.loads(response["body"])


def pre_call(http: Runtime, caller: str = CALLER) -> dict[str, Any]:
    event = pre_call_event()
    body = json.loads(event["body"])
    body["caller_id"] = caller
    event["body"], event["isBase64Encoded"] = json.dumps(body), False
    variables: dict[str, Any] = json.loads(aws.serve_http(http, event)["body"])["dynamic_variables"]
    return variables


def post_call(http: Runtime, **details: Any) -> int:
    body = json.dumps(elevenlabs_post_call(**details)).encode()
    response = aws.serve_http(http, http_event("POST", "/post-call", {"ElevenLabs-Signature": sign(body)}, body))
    return int(response["statusCode"])


def test_a_call_is_remembered_recalled_erased_and_swept_on_the_table(stack: Stack) -> None:
    http, worker = stack.runtime("http"), stack.runtime("worker")
    table = stack.arns.table
    assert table is not None

    # post-call: verified, archived, queued; the worker's batch writes the caller's memories to the table
    assert post_call(http, conversation_id="conv_dyn_1") == 200
    assert (
        post_call(
            http, caller=OTHER_CALLER, conversation_id="conv_dyn_2", name="Lee Other", user_turns=("Cancel my plan.",)
        )
        == 200
    )
    assert stack.items(CALLER) == []  # nothing is written before the worker runs
    assert stack.deliver(worker) == [{"batchItemFailures": []}]
    assert len(stack.items(CALLER)) >= 3 and stack.items(OTHER_CALLER)
    assert all(item["sk"]["S"].startswith(f"A#{AGENT_TYPE}#T#") for item in stack.items(CALLER))
    assert stack.deliver(worker) == []
    redelivered = stack.session.client("sqs")
    redelivered.send_message(
        QueueUrl=stack.queue_url, MessageBody=json.dumps({"key": "post_call_transcription:conv_dyn_1"})
    )
    before = stack.items(CALLER)
    stack.deliver(worker)
    assert stack.items(CALLER) == before  # a redelivered event changes nothing

    # pre-call: one Query of the caller's partition recognises them
    seen = pre_call(http)
    assert (seen["returning_caller"], seen["caller_name"]) == ("yes", "Dana Whitfield")
    assert pre_call(http, "+15555550100")["returning_caller"] == "no"

    # the tool finds what only the caller said in the transcript (not in the summary)
    status, found = call(http, "POST", "/retrieve", TOOL, {"query": "what is the dog called", "caller_id": CALLER})
    assert status == 200 and any("Biscuit" in memory["text"] for memory in found["memories"])
    status, other = call(http, "POST", "/retrieve", TOOL, {"query": "Biscuit", "caller_id": OTHER_CALLER})
    assert status == 200 and not any("Biscuit" in memory["text"] for memory in other["memories"])
    # a memory stored without a meaning vector (imported from another store): the tool's first use keeps one
    now = datetime.now(UTC)
    writer = DynamoDBMemoryStore(TABLE, client=stack.session.client("dynamodb"))
    imported = Memory("imported-1", CALLER, AGENT_TYPE, "factual", "Moved house to Leeds", now, now + timedelta(days=9))
    writer.add([imported])
    status, found = call(http, "POST", "/retrieve", TOOL, {"query": "where does she live", "caller_id": CALLER})
    assert status == 200
    assert "vector" in next(item for item in stack.items(CALLER) if item["id"]["S"] == "imported-1")

    # analytics read the day index, never the whole table
    status, report = call(http, "GET", "/analytics/agent", ADMIN, days="7")
    assert status == 200 and report["total_callers"] == 2

    # erasure: the memories at once (HTTP), then the archived events and the memories again (worker's job)
    status, erased = call(http, "DELETE", f"/admin/users/{CALLER}/memories", ADMIN)
    assert status == 202 and erased["erased"]["memories"] >= 3
    assert stack.items(CALLER) == []
    late = Memory("late-1", CALLER, AGENT_TYPE, "factual", "Written by a call in flight", now, now + timedelta(days=9))
    writer.add([late])  # a worker that was mid-event when the erasure came: the erase job removes it too
    assert stack.deliver(worker) == [{"batchItemFailures": []}]
    versions = stack.session.client("s3").list_object_versions(Bucket=BUCKET, Prefix="events/")
    keys = {v["Key"] for kind in ("Versions", "DeleteMarkers") for v in versions.get(kind, [])}
    keys = {key for key in keys if not key.startswith("events/erased/")}  # beside the record of when it was erased
    assert keys == {"events/post_call_transcription:conv_dyn_2"}  # not one version of the caller's events
    assert stack.items(CALLER) == [] and pre_call(http)["returning_caller"] == "no"
    assert stack.items(OTHER_CALLER) and pre_call(http, OTHER_CALLER)["returning_caller"] == "yes"

    # the sweeper: what expired goes now, without waiting for DynamoDB's TTL (which moto never runs)
    stale = Memory("stale-1", OTHER_CALLER, AGENT_TYPE, "factual", "Old news", now - timedelta(days=40), now)
    writer.add([stale])
    sweeper = stack.runtime("sweeper")
    assert sweeper.sweep() == {"memories": 1, "archived_events": 0, "archive_lifecycle_managed": True}
    assert not any(item["id"]["S"] == "stale-1" for item in stack.items(OTHER_CALLER))
    assert stack.items(OTHER_CALLER)

    # each role used exactly the table actions it was granted: no grant is unused, none was missing
    index = f"{table}/index/"
    assert stack.table_actions("http") == {
        ("dynamodb:Query", table),
        ("dynamodb:Query", index + "by_day"),
        ("dynamodb:BatchWriteItem", table),
        ("dynamodb:UpdateItem", table),
    }
    assert stack.table_actions("worker") == {
        ("dynamodb:PutItem", table),
        ("dynamodb:Query", table),
        ("dynamodb:BatchWriteItem", table),
    }
    assert stack.table_actions("sweeper") == {
        ("dynamodb:Query", index + "by_expiry"),
        ("dynamodb:BatchWriteItem", table),
    }
    for role, session in stack.roles.items():
        granted = {
            (action, resource)
            for statement in session.policy["Statement"]
            for action in statement["Action"]
            if action.startswith("dynamodb:")
            for resource in statement["Resource"]
        }
        assert granted == stack.table_actions(role), role


def test_roles_without_the_table_grants_fail_closed(stack: Stack) -> None:
    """The control: the same functions under the policies without the table (a mem0 stack's) are denied. The
    pre-call still answers (a new caller: the greeting is never held up), the worker's event goes back to the queue."""
    no_table = StackArns(stack.arns.secret, stack.arns.bucket, stack.arns.queue, stack.arns.log_group)
    sessions = {
        role: RoleSession(stack.session, function_policy(role, no_table), queue_arns=stack.queue_arns)  # type: ignore[arg-type]
        for role in ("http", "worker")
    }
    http, worker = (
        aws.build(
            {**stack.environ, "AGENTIC_MEMORY_DATA_DIR": str(stack.data_dir / role)},
            session_factory=lambda role=role: sessions[role],
        )
        for role in ("http", "worker")
    )
    assert pre_call(http)["returning_caller"] == "no"
    assert ("dynamodb:Query", stack.arns.table) in sessions["http"].calls
    assert post_call(http) == 200
    [result] = stack.deliver_once(worker)
    assert len(result["batchItemFailures"]) == 1  # retried by SQS, then dead-lettered: not lost
    assert ("dynamodb:PutItem", stack.arns.table) in sessions["worker"].calls
    assert stack.items(CALLER) == []
