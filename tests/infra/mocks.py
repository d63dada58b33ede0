"""Pulumi's own mock runtime, recording: importable with nothing but ``pulumi`` on the path.

The mocks fill what the real providers compute (ARNs, URLs, ids, emails, the Cloud Run URI) so that every
output a test asserts on resolves with ``preview=False``; they record every resource's inputs and state so
tests can check raw inputs (IAM JSON, environments, secret wrapping) and run the policies over all of them.
``tests/infra/pulumi_main_driver.py`` loads this file by path, in a process where the repository is not
importable until ``infra/__main__.py`` makes it so.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.runtime

PROJECT = "agentic-memory"
ACCOUNT = "123456789012"
REGION = "us-east-1"
GCP_PROJECT = "am-test-project"
GCP_PROJECT_NUMBER = "987654321098"
GCP_REGION = "europe-west1"
SECRET_SIG = "4dabf18193072939515e22adb298388d"

# Invented values, recognisable anywhere they might leak.
TEST_SECRET_VALUES = {
    "ELEVENLABS_WORKSPACE_KEY": "leakcheck-elevenlabs-workspace-7f3a",
    "ELEVENLABS_HMAC_KEY": "leakcheck-elevenlabs-hmac-91bc",
    "VAPI_SECRET": "leakcheck-vapi-secret-44d0",
    "RETELL_API_KEY": "leakcheck-retell-key-c2e8",
    "GENERIC_API_KEY": "leakcheck-generic-key-0a5f",
    "ADMIN_API_KEY": "leakcheck-admin-key-66b1",
    "MEM0_API_KEY": "leakcheck-mem0-key-d93e",
    "PSEUDONYMIZATION_KEY": "leakcheck-pseudonymization-key-18aa",
}


RANDOM_BYTES = "random:index/randomBytes:RandomBytes"


def drawn_key(name: str) -> str:
    """What the mocked ``RandomBytes`` draws for the stack's ``CALLER_REF_KEY``: recognisable, so a leak is found."""
    return ("leakcheck-caller-ref-key-" + name.encode().hex())[:64].ljust(64, "0")


@dataclass
class Recorded:
    typ: str
    name: str
    inputs: dict[str, Any]
    state: dict[str, Any]
    custom: bool

    def policy_args(self) -> Any:
        """What CrossGuard would see: the resource's inputs plus what the provider computed (e.g. ``arn``)."""
        from infra.policies import ResourceArgs

        return ResourceArgs(self.typ, unwrap({**self.state, **self.inputs}), self.name, f"urn:mock::{self.name}")


def unwrap(value: Any) -> Any:
    """Replace Pulumi's secret wrappers by their values (for comparing and for policies)."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270":
            return unwrap(value.get("value"))
        return {key: unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    return value


def _aws_state(typ: str, inputs: dict[str, Any], name: str) -> dict[str, Any]:
    arn = f"arn:aws:{{}}:{REGION}:{ACCOUNT}:{{}}"
    if typ == "aws:s3/bucket:Bucket":
        return {"arn": f"arn:aws:s3:::{inputs['bucket']}", "id": inputs["bucket"]}
    if typ == "aws:secretsmanager/secret:Secret":
        secret_arn = arn.format("secretsmanager", f"secret:{inputs['name']}-AbCdEf")
        return {"arn": secret_arn, "id": secret_arn}
    if typ == "aws:secretsmanager/secretVersion:SecretVersion":  # a new id for every new value, as Secrets Manager
        return {"versionId": "version-" + hashlib.sha256(repr(inputs.get("secretString")).encode()).hexdigest()[:12]}
    if typ == "aws:sqs/queue:Queue":
        url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{inputs['name']}"
        return {"arn": arn.format("sqs", inputs["name"]), "url": url, "id": url}
    if typ == "aws:lambda/layerVersion:LayerVersion":
        return {"arn": arn.format("lambda", f"layer:{inputs['layerName']}:1")}
    if typ == "aws:sns/topic:Topic":
        return {"arn": arn.format("sns", inputs["name"])}
    if typ == "aws:dynamodb/table:Table":
        return {"arn": arn.format("dynamodb", f"table/{inputs['name']}"), "id": inputs["name"]}
    if typ == "aws:cloudwatch/logGroup:LogGroup":
        return {"arn": arn.format("logs", f"log-group:{inputs['name']}")}
    if typ == "aws:iam/role:Role":
        return {"arn": f"arn:aws:iam::{ACCOUNT}:role/{inputs['name']}", "id": inputs["name"]}
    if typ == "aws:lambda/function:Function":
        fn_arn = arn.format("lambda", f"function:{inputs['name']}")
        invoke = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{fn_arn}/invocations"
        return {"arn": fn_arn, "invokeArn": invoke, "version": "1", "qualifiedArn": f"{fn_arn}:1"}
    if typ == "aws:lambda/alias:Alias":
        alias_arn = arn.format("lambda", f"function:{inputs['functionName']}:{inputs['name']}")
        invoke = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{alias_arn}/invocations"
        return {"arn": alias_arn, "invokeArn": invoke}
    if typ == "aws:apigatewayv2/api:Api":
        return {
            "apiEndpoint": f"https://{name}-abc123.execute-api.{REGION}.amazonaws.com",
            "executionArn": arn.format("execute-api", f"{name}-abc123"),
        }
    if typ == "aws:lambda/functionUrl:FunctionUrl":
        return {"functionUrl": f"https://{name}-xyz789.lambda-url.{REGION}.on.aws/"}
    if typ == "aws:cloudwatch/eventRule:EventRule":
        return {"arn": arn.format("events", f"rule/{inputs['name']}")}
    if typ == "aws:cloudwatch/metricAlarm:MetricAlarm":
        return {"arn": arn.format("cloudwatch", f"alarm:{inputs['name']}")}
    return {}


def _gcp_state(typ: str, inputs: dict[str, Any], name: str) -> dict[str, Any]:
    project = inputs.get("project", GCP_PROJECT)
    if typ == "gcp:storage/bucket:Bucket":
        return {"id": inputs["name"], "url": f"gs://{inputs['name']}"}
    if typ == "gcp:secretmanager/secret:Secret":
        return {"id": f"projects/{project}/secrets/{inputs['secretId']}"}
    if typ == "gcp:secretmanager/secretVersion:SecretVersion":
        return {"version": "1", "id": f"{inputs['secret']}/versions/1"}
    if typ == "gcp:pubsub/topic:Topic":
        return {"id": f"projects/{project}/topics/{inputs['name']}"}
    if typ == "gcp:pubsub/subscription:Subscription":
        return {"id": f"projects/{project}/subscriptions/{inputs['name']}"}
    if typ == "gcp:serviceaccount/account:Account":
        email = f"{inputs['accountId']}@{project}.iam.gserviceaccount.com"
        return {
            "email": email,
            "name": f"projects/{project}/serviceAccounts/{email}",
            "member": f"serviceAccount:{email}",
        }
    if typ == "gcp:cloudfunctionsv2/function:Function":
        uri = f"https://{inputs['name']}-x7k2p9q4aa-ew.a.run.app"
        return {"url": uri, "serviceConfig": {**inputs.get("serviceConfig", {}), "uri": uri}}
    if typ == "gcp:logging/projectBucketConfig:ProjectBucketConfig":
        return {"id": f"projects/{project}/locations/{inputs['location']}/buckets/{inputs['bucketId']}"}
    if typ == "gcp:firestore/database:Database":
        return {"id": f"projects/{project}/databases/{inputs['name']}", "uid": "0c9f3a5e-test"}
    if typ == "gcp:projects/iAMCustomRole:IAMCustomRole":
        return {"name": f"projects/{project}/roles/{inputs['roleId']}"}
    if typ == "gcp:monitoring/notificationChannel:NotificationChannel":
        return {"name": f"projects/{project}/notificationChannels/4242"}
    return {}


# What the ElevenLabs wiring's provider returns as the webhook's signing secret (its create never runs under mocks).
GENERATED_HMAC_KEY = "leakcheck-generated-hmac-3d5f"


def _dynamic_state(typ: str, inputs: dict[str, Any], name: str) -> dict[str, Any]:
    """The platform wiring's outputs: its kept state and, for ElevenLabs, the generated HMAC key."""
    state: dict[str, Any] = {"state": {"platform": typ.split("/")[1].split(":")[0]}}
    if typ == "pulumi-python:dynamic/elevenlabs:Wiring":
        state["webhook_secret"] = GENERATED_HMAC_KEY
    return state


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[Recorded] = []
        self.calls: list[str] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        computed = _aws_state(args.typ, inputs, args.name) if args.typ.startswith("aws:") else {}
        if args.typ.startswith("gcp:"):
            computed = _gcp_state(args.typ, inputs, args.name)
        if args.typ.startswith("pulumi-python:dynamic/"):
            computed = _dynamic_state(args.typ, inputs, args.name)
        if args.typ == RANDOM_BYTES:
            computed = {"hex": drawn_key(args.name), "base64": "unused"}
        resource_id = str(computed.pop("id", f"{args.name}_id"))
        state = {**inputs, **computed}
        state.setdefault("name", args.name)
        self.resources.append(Recorded(args.typ, args.name, inputs, state, args.custom))
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        self.calls.append(args.token)
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT,
                "arn": f"arn:aws:iam::{ACCOUNT}:user/test",
                "userId": "AIDTEST",
                "id": ACCOUNT,
            }
        if args.token == "gcp:organizations/getProject:getProject":
            return {"projectId": GCP_PROJECT, "number": GCP_PROJECT_NUMBER, "id": f"projects/{GCP_PROJECT}"}
        raise AssertionError(f"unexpected data source {args.token}")

    def custom(self) -> list[Recorded]:
        return [resource for resource in self.resources if resource.custom]

    def of_type(self, typ: str) -> list[Recorded]:
        return [resource for resource in self.resources if resource.typ == typ]
