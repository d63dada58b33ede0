"""A boto3 session whose clients obey one IAM policy, over moto: what a Lambda role lets its code do.

moto's own IAM enforcement cannot evaluate condition keys (``s3:prefix``), so this evaluates the identity
policy ``infra.aws_iam.function_policy`` builds for a role, the way IAM does for the calls the ports make:
action and resource patterns (``*``), ``StringLike``/``StringEquals`` conditions on the request's context,
allow only (no statement: denied). Denied calls raise the ``ClientError`` S3, SQS and Secrets Manager
answer with. S3's one twist is modelled too: a read of a missing key is a 404 only for a caller that may
list the bucket, else a 403; a list permission bound to a prefix is not counted (the conservative reading).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

S3_OBJECT_ACTIONS = {
    "put_object": "s3:PutObject",
    "get_object": "s3:GetObject",
    "head_object": "s3:GetObject",
    "delete_object": "s3:DeleteObject",
}
S3_LIST_ACTIONS = {"list_objects_v2": "s3:ListBucket", "list_object_versions": "s3:ListBucketVersions"}
PASS_THROUGH = frozenset({"meta", "exceptions", "create_bucket", "put_bucket_versioning"})
DYNAMODB_ACCOUNT = "arn:aws:dynamodb:us-east-1:123456789012"  # moto's region and account
# DynamoDB API -> the IAM action it needs; a transaction needs the action of each item it writes.
DYNAMODB_ACTIONS = {
    "query": "dynamodb:Query",
    "scan": "dynamodb:Scan",
    "get_item": "dynamodb:GetItem",
    "put_item": "dynamodb:PutItem",
    "update_item": "dynamodb:UpdateItem",
    "delete_item": "dynamodb:DeleteItem",
    "batch_write_item": "dynamodb:BatchWriteItem",
    "batch_get_item": "dynamodb:BatchGetItem",
    "describe_table": "dynamodb:DescribeTable",
}
TRANSACT_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}


def _matches(pattern: str, value: str) -> bool:
    """IAM's wildcards: ``*`` any run of characters (``/`` included), ``?`` one character."""
    return re.fullmatch(fnmatch.translate(pattern), value) is not None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allowed(policy: dict[str, Any], action: str, resource: str, context: dict[str, str] | None = None) -> bool:
    """Whether an allow statement matches the action, the resource and every condition on the given context."""
    context = context or {}
    for statement in policy["Statement"]:
        if statement["Effect"] != "Allow":
            continue
        if not any(_matches(a, action) for a in _as_list(statement["Action"])):
            continue
        if not any(_matches(r, resource) for r in _as_list(statement["Resource"])):
            continue
        conditions = statement.get("Condition", {})
        if all(
            key in context
            and any((_matches(v, context[key]) if operator == "StringLike" else v == context[key]) for v in values)
            for operator, keys in conditions.items()
            for key, values in keys.items()
        ):
            return True
    return False


def denied(operation: str, status: int = 403) -> ClientError:
    code = "403" if operation == "HeadObject" else "AccessDenied"
    if operation in ("Query", "TransactWriteItems", "BatchWriteItem", "PutItem", "Scan", "GetItem", "DeleteItem"):
        code = "AccessDeniedException"
    error = {"Error": {"Code": code, "Message": "Access Denied"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(error, operation)  # type: ignore[arg-type]


def _operation(method: str) -> str:
    return "".join(part.title() for part in method.split("_"))


class PolicyClient:
    """Wraps one moto client; every call the ports make is checked against the role's policy first."""

    def __init__(
        self, service: str, client: Any, policy: dict[str, Any], calls: list[tuple[str, str]], arns: dict[str, str]
    ) -> None:
        self._service = service
        self._client = client
        self._policy = policy
        self._calls = calls
        self._arns = arns  # queue URL -> ARN

    def _require(self, method: str, action: str, resource: str, context: dict[str, str] | None = None) -> None:
        self._calls.append((action, resource))
        if not allowed(self._policy, action, resource, context):
            raise denied(_operation(method))

    def __getattr__(self, method: str) -> Any:
        if method in PASS_THROUGH:
            return getattr(self._client, method)
        checker = getattr(self, f"_{self._service}", None)
        if checker is None:
            raise AssertionError(f"{self._service}.{method} is not modelled")
        return lambda **kwargs: checker(method, kwargs)

    # -- per service --------------------------------------------------------------------------------

    def _secretsmanager(self, method: str, kwargs: dict[str, Any]) -> Any:
        assert method == "get_secret_value", method
        self._require(method, "secretsmanager:GetSecretValue", kwargs["SecretId"])
        return self._client.get_secret_value(**kwargs)

    def _sqs(self, method: str, kwargs: dict[str, Any]) -> Any:
        assert method == "send_message", method
        self._require(method, "sqs:SendMessage", self._arns[kwargs["QueueUrl"]])
        return self._client.send_message(**kwargs)

    def _dynamodb(self, method: str, kwargs: dict[str, Any]) -> Any:
        """Each table (``.../table/NAME``) or index (``.../index/INDEX``) a request touches, as IAM sees it."""

        def table(name: str) -> str:
            return f"{DYNAMODB_ACCOUNT}:table/{name}"

        if method == "transact_write_items":
            for item in kwargs["TransactItems"]:
                ((kind, action),) = item.items()
                self._require(method, TRANSACT_ACTIONS[kind], table(action["TableName"]))
        elif method in ("batch_write_item", "batch_get_item"):
            for name in kwargs["RequestItems"]:
                self._require(method, DYNAMODB_ACTIONS[method], table(name))
        elif method in DYNAMODB_ACTIONS:
            resource = table(kwargs["TableName"])
            if kwargs.get("IndexName"):
                resource += f"/index/{kwargs['IndexName']}"
            self._require(method, DYNAMODB_ACTIONS[method], resource)
        else:
            raise AssertionError(f"dynamodb.{method} is not modelled")
        return getattr(self._client, method)(**kwargs)

    def _s3(self, method: str, kwargs: dict[str, Any]) -> Any:
        bucket = f"arn:aws:s3:::{kwargs['Bucket']}"
        if method in S3_OBJECT_ACTIONS:
            action = S3_OBJECT_ACTIONS[method]
            if kwargs.get("VersionId") and method != "put_object":
                action += "Version"
            self._require(method, action, f"{bucket}/{kwargs['Key']}")
            try:
                return getattr(self._client, method)(**kwargs)
            except ClientError as exc:
                missing = exc.response["Error"]["Code"] in ("NoSuchKey", "404", "NoSuchVersion")
                if missing and not allowed(self._policy, "s3:ListBucket", bucket):
                    raise denied(_operation(method)) from None
                raise
        if method in S3_LIST_ACTIONS:
            context = {"s3:prefix": kwargs["Prefix"]} if "Prefix" in kwargs else {}
            self._require(method, S3_LIST_ACTIONS[method], bucket, context)
            return getattr(self._client, method)(**kwargs)
        if method == "delete_objects":
            objects, errors = [], []
            for item in kwargs["Delete"]["Objects"]:
                action = "s3:DeleteObjectVersion" if item.get("VersionId") else "s3:DeleteObject"
                self._calls.append((action, f"{bucket}/{item['Key']}"))
                if allowed(self._policy, action, f"{bucket}/{item['Key']}"):
                    objects.append(item)
                else:
                    errors.append({"Key": item["Key"], "Code": "AccessDenied", "Message": "Access Denied"})
            answer: dict[str, Any] = {}
            if objects:
                answer = dict(
                    self._client.delete_objects(**{**kwargs, "Delete": {**kwargs["Delete"], "Objects": objects}})
                )
            answer["Errors"] = answer.get("Errors", []) + errors
            return answer
        if method == "get_paginator":
            raise AssertionError("call get_paginator(name) directly")
        raise AssertionError(f"s3.{method} is not modelled")

    def get_paginator(self, name: str) -> Any:
        assert self._service == "s3" and name in S3_LIST_ACTIONS, name
        outer = self

        class Paginator:
            def paginate(self, **kwargs: Any) -> Iterator[Any]:
                bucket = f"arn:aws:s3:::{kwargs['Bucket']}"
                context = {"s3:prefix": kwargs["Prefix"]} if "Prefix" in kwargs else {}
                outer._require(name, S3_LIST_ACTIONS[name], bucket, context)
                return iter(outer._client.get_paginator(name).paginate(**kwargs))

        return Paginator()


class RoleSession:
    """``boto3.session.Session`` as a function's role sees it: every client obeys ``policy``; ``calls`` records
    each (IAM action, resource) asked for: what the function tried, allowed or not."""

    def __init__(self, session: Any, policy: dict[str, Any], *, queue_arns: dict[str, str]) -> None:
        self._session = session
        self.policy = policy
        self.calls: list[tuple[str, str]] = []
        self._queue_arns = queue_arns

    @property
    def actions(self) -> list[str]:
        return [action for action, _ in self.calls]

    def client(self, service: str, **kwargs: Any) -> PolicyClient:
        return PolicyClient(service, self._session.client(service, **kwargs), self.policy, self.calls, self._queue_arns)
