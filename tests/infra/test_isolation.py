"""Must show 2 and 3: no secret value in any resource input as plain text (functions get references), every IAM
grant names only this stack's resources, and two stacks for two agent types share no physical name."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from infra.bundle import Bundle
from infra.policies import GCP_FUNCTION, LAMBDA, LOG_GROUP, StackArgs, iam_names_own_resources
from infra.program import run_program
from infra.stack_config import build_stack_config, read_stack_config
from tests.infra.conftest import (
    AGENT_TYPES,
    GCP_PROJECT_NUMBER,
    PROJECT,
    TEST_SECRET_VALUES,
    RecordingMocks,
    Walk,
    after_all,
    stack_values,
)
from tests.infra.mocks import RANDOM_BYTES, drawn_key

# The physical name of each resource kind that must never be shared between two stacks.
PHYSICAL_NAMES = {
    "aws:secretsmanager/secret:Secret": "name",
    "aws:s3/bucket:Bucket": "bucket",
    "aws:sqs/queue:Queue": "name",
    "aws:iam/role:Role": "name",
    "aws:iam/rolePolicy:RolePolicy": "name",
    "aws:lambda/function:Function": "name",
    "aws:cloudwatch/logGroup:LogGroup": "name",
    "aws:sns/topic:Topic": "name",
    "aws:lambda/layerVersion:LayerVersion": "layerName",
    "aws:apigatewayv2/api:Api": "name",
    "aws:cloudwatch/eventRule:EventRule": "name",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "name",
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": "name",
    "gcp:secretmanager/secret:Secret": "secretId",
    "gcp:storage/bucket:Bucket": "name",
    "gcp:pubsub/topic:Topic": "name",
    "gcp:pubsub/subscription:Subscription": "name",
    "gcp:serviceaccount/account:Account": "accountId",
    "gcp:cloudfunctionsv2/function:Function": "name",
    "gcp:cloudscheduler/job:Job": "name",
    "gcp:logging/projectBucketConfig:ProjectBucketConfig": "bucketId",
    "gcp:logging/projectSink:ProjectSink": "name",
    "gcp:firestore/database:Database": "name",
    "gcp:projects/iAMCustomRole:IAMCustomRole": "roleId",
}


def physical_names(mocks: RecordingMocks) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for resource in mocks.resources:
        key = PHYSICAL_NAMES.get(resource.typ)
        if key:
            found.setdefault(resource.typ, []).append(resource.inputs[key])
    return found


SECRET_STORES = {
    "aws:secretsmanager/secretVersion:SecretVersion": "secretString",
    "gcp:secretmanager/secretVersion:SecretVersion": "secretData",
}


def check_no_plaintext_secret(mocks: RecordingMocks, outputs: dict[str, Any], deployed: tuple[str, ...]) -> None:
    """A secret value may sit in one place only: the secret store's version, wrapped as a Pulumi secret."""
    stored, elsewhere = Walk(), Walk()
    for resource in mocks.resources:
        store_key = SECRET_STORES.get(resource.typ)
        for key, value in resource.inputs.items():
            (stored if key == store_key else elsewhere).visit(value)
    elsewhere.visit(outputs)
    assert not any(value in text for text in stored.plain for value in TEST_SECRET_VALUES.values()), "unwrapped"
    for name, value in TEST_SECRET_VALUES.items():
        assert not any(value in text for text in elsewhere.plain + elsewhere.secret), f"{name} outside the store"
        if name in deployed:  # it did reach the secret store, wrapped as a secret (so the walk can see it)
            assert any(value in text for text in stored.secret), f"{name} was not deployed"
        else:  # a secret this agent type does not need is stored nowhere
            assert not any(value in text for text in stored.secret), f"{name} deployed but not needed"
    (drawn,) = mocks.of_type(RANDOM_BYTES)  # the CALLER_REF_KEY the stack draws: in its secret store only
    key = drawn_key(drawn.name)
    assert not any(key in text for text in elsewhere.plain + elsewhere.secret + stored.plain), "key outside the store"
    assert any(key in text for text in stored.secret), "CALLER_REF_KEY was not deployed"


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
@pytest.mark.parametrize("agent_type", AGENT_TYPES)
@pulumi.runtime.test
def test_no_secret_value_in_plain_text(agent_type: str, cloud: str, mocks: RecordingMocks, bundle: Bundle) -> Any:
    config = build_stack_config(stack_values(agent_type, cloud))
    outputs = run_program(config, bundle)
    return after_all(outputs).apply(
        lambda values: check_no_plaintext_secret(mocks, values, config.required_secret_names)
    )


@pulumi.runtime.test
def test_secrets_from_pulumi_config_stay_secret(use_stack: Any, bundle: Bundle) -> Any:
    """The same through ``pulumi config set --secret``: config secrets arrive as secret Outputs and stay so."""
    keys = {"elevenlabsWorkspaceKey", "elevenlabsHmacKey", "adminApiKey", "mem0ApiKey"}
    names = {"ELEVENLABS_WORKSPACE_KEY", "ELEVENLABS_HMAC_KEY", "ADMIN_API_KEY", "MEM0_API_KEY"}
    values = dict(zip(sorted(keys), [TEST_SECRET_VALUES[name] for name in sorted(names)], strict=True))
    config = {f"{PROJECT}:{key}": value for key, value in values.items()}
    config.update({f"{PROJECT}:cloud": "aws", f"{PROJECT}:agentType": "elevenlabs_customer_support"})
    config[f"{PROJECT}:memoryBackend"] = "mem0"
    config["aws:region"] = "us-east-1"
    mocks = use_stack("support-prod", config, [f"{PROJECT}:{key}" for key in keys])
    outputs = run_program(read_stack_config(), bundle)
    return after_all(outputs).apply(lambda resolved: check_no_plaintext_secret(mocks, resolved, tuple(names)))


@pulumi.runtime.test
def test_aws_functions_hold_a_secret_reference(mocks: RecordingMocks, bundle: Bundle) -> Any:
    config = build_stack_config(stack_values("elevenlabs_sales_agent", "aws", memoryBackend="mem0"))
    outputs = run_program(config, bundle)

    def check(_: dict[str, Any]) -> None:
        (secret,) = mocks.of_type("aws:secretsmanager/secret:Secret")
        (version,) = mocks.of_type("aws:secretsmanager/secretVersion:SecretVersion")
        stored = json.loads(Walk().visit(version.inputs["secretString"]).secret[-1])
        expected = {
            "ELEVENLABS_WORKSPACE_KEY",
            "ELEVENLABS_HMAC_KEY",
            "ADMIN_API_KEY",
            "MEM0_API_KEY",
            "CALLER_REF_KEY",
        }
        assert set(stored) == expected
        (drawn,) = mocks.of_type(RANDOM_BYTES)
        assert stored["CALLER_REF_KEY"] == drawn_key(drawn.name) and drawn.inputs["length"] == 32
        for fn in mocks.of_type("aws:lambda/function:Function"):
            variables = fn.inputs["environment"]["variables"]
            assert variables["SECRET_ARN"] == secret.state["arn"]
            assert not set(variables) & set(TEST_SECRET_VALUES)
            assert variables["AGENT_TYPE"] == "elevenlabs_sales_agent" and variables["MEMORY_BACKEND"] == "mem0"
            assert variables["MEM0_DIR"] == "/tmp/.mem0" and variables["MEM0_TELEMETRY"] == "False"

    return after_all(outputs).apply(check)


@pulumi.runtime.test
def test_gcp_functions_mount_this_stacks_secrets(mocks: RecordingMocks, bundle: Bundle) -> Any:
    config = build_stack_config(stack_values("generic_voice_agent", "gcp", memoryBackend="mem0"))
    outputs = run_program(config, bundle)

    def check(_: dict[str, Any]) -> None:
        secret_ids = {secret.inputs["secretId"] for secret in mocks.of_type("gcp:secretmanager/secret:Secret")}
        assert secret_ids == {
            "am-dev-generic-api-key",
            "am-dev-admin-api-key",
            "am-dev-mem0-api-key",
            "am-dev-caller-ref-key",
        }
        for fn in mocks.of_type("gcp:cloudfunctionsv2/function:Function"):
            service = fn.inputs["serviceConfig"]
            mounted = {item["key"]: item for item in service["secretEnvironmentVariables"]}
            assert set(mounted) == {*config.required_secret_names, "CALLER_REF_KEY"}
            assert {item["secret"] for item in mounted.values()} == secret_ids
            assert {item["version"] for item in mounted.values()} == {"1"}  # pinned to what this update wrote
            assert not set(service["environmentVariables"]) & set(TEST_SECRET_VALUES)

    return after_all(outputs).apply(check)


def _statements(policy: str) -> list[dict[str, Any]]:
    return list(json.loads(policy)["Statement"])


Statement = tuple[tuple[str, ...], tuple[str, ...], str]


def _exact(policy: str) -> set[Statement]:
    """Each statement as (actions, resources, condition as JSON): nothing may be added or widened unnoticed."""
    return {
        (tuple(s["Action"]), tuple(s["Resource"]), json.dumps(s.get("Condition"), sort_keys=True))
        for s in _statements(policy)
        if s["Effect"] == "Allow"
    }


def _listing(actions: tuple[str, ...], bucket: str, prefix: str) -> Statement:
    return actions, (bucket,), json.dumps({"StringLike": {"s3:prefix": [f"{prefix}*"]}}, sort_keys=True)


@pytest.mark.parametrize("backend", ["mem0", "dynamodb"])
@pulumi.runtime.test
def test_aws_roles_have_exactly_what_they_need(backend: str, mocks: RecordingMocks, bundle: Bundle) -> Any:
    """HTTP: its secret, its logs, new events, its queue (issue 6: nothing else), and with mem0 the pending log.
    Worker: events, its queue, erase jobs (list the event prefix, every version), with mem0 the pending log.
    Sweeper: no storage at all (the bucket lifecycle expires events). Every statement, exactly."""
    config = build_stack_config(stack_values("generic_voice_agent", "aws", memoryBackend=backend))
    outputs = run_program(config, bundle)

    def check(_: dict[str, Any]) -> None:
        arn = {resource.typ.split(":")[1]: resource.state.get("arn") for resource in mocks.custom()}
        policies = {
            policy.inputs["name"]: policy.inputs["policy"] for policy in mocks.of_type("aws:iam/rolePolicy:RolePolicy")
        }
        logs = {g.inputs["name"].rsplit("-", 1)[1]: g.state["arn"] for g in mocks.of_type(LOG_GROUP)}
        queue = next(q for q in mocks.of_type("aws:sqs/queue:Queue") if q.inputs["name"] == "am-dev-ingest")
        bucket, secret, none = arn["s3/bucket"], arn["secretsmanager/secret"], "null"

        def common(role: str) -> set[Statement]:
            return {
                (("secretsmanager:GetSecretValue",), (secret,), none),
                (("logs:CreateLogStream", "logs:PutLogEvents"), (logs[role] + ":*",), none),
            }

        pending = {  # rewrite, then delete the older versions; no plain delete (it would only lay a marker)
            (("s3:DeleteObjectVersion", "s3:GetObject", "s3:PutObject"), (bucket + "/mem0-pending/*",), none),
            _listing(("s3:ListBucket", "s3:ListBucketVersions"), bucket, "mem0-pending/"),
        }
        mem0 = pending if backend == "mem0" else set()
        table = "arn:aws:dynamodb:us-east-1:123456789012:table/am-dev-memories"
        assert arn.get("dynamodb/table") == (table if backend == "dynamodb" else None)
        own: dict[str, set[Statement]] = {"http": set(), "worker": set(), "sweeper": set()}
        if backend == "dynamodb":  # the table's actions each store call makes, on the table or one index: no more
            own["http"] = {
                (("dynamodb:Query",), (table, table + "/index/by_day"), none),
                (("dynamodb:BatchWriteItem", "dynamodb:UpdateItem"), (table,), none),
            }
            own["worker"] = {(("dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:Query"), (table,), none)}
            own["sweeper"] = {
                (("dynamodb:Query",), (table + "/index/by_expiry",), none),
                (("dynamodb:BatchWriteItem",), (table,), none),
            }
        assert _exact(policies["am-dev-http-policy"]) == common("http") | mem0 | own["http"] | {
            (("s3:PutObject",), (bucket + "/events/*",), none),
            (("sqs:SendMessage",), (queue.state["arn"],), none),
        }
        assert _exact(policies["am-dev-worker-policy"]) == common("worker") | mem0 | own["worker"] | {
            (("s3:GetObject",), (bucket + "/events/*",), none),
            (
                ("sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"),
                (queue.state["arn"],),
                none,
            ),
            (("s3:DeleteObjectVersion", "s3:GetObjectVersion"), (bucket + "/events/*",), none),
            _listing(("s3:ListBucket", "s3:ListBucketVersions"), bucket, "events/"),
            (("s3:PutObject",), (bucket + "/events/erased/*",), none),  # when a caller was erased, nothing more
        }
        assert _exact(policies["am-dev-sweeper-policy"]) == common("sweeper") | own["sweeper"]
        assert not mocks.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")  # no managed "*" policies
        env = {fn.inputs["name"]: fn.inputs["environment"]["variables"] for fn in mocks.of_type(LAMBDA)}
        assert all(
            v.get("MEM0_PENDING_PREFIX") == ("mem0-pending/" if backend == "mem0" else None) for v in env.values()
        )
        assert all(
            v.get("MEMORY_TABLE") == ("am-dev-memories" if backend == "dynamodb" else None) for v in env.values()
        )
        (lifecycle,) = mocks.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
        rules = {rule["id"]: rule for rule in lifecycle.inputs["rules"]}
        assert rules["retention"]["expiration"] == {"days": config.archive_retention_days}
        assert rules["retention"]["filter"] == {"prefix": "events/"}
        if backend == "mem0":
            assert rules["mem0-pending"]["filter"] == {"prefix": "mem0-pending/"}
            assert rules["mem0-pending"]["noncurrentVersionExpiration"] == {"noncurrentDays": 1}
        else:
            assert "mem0-pending" not in rules

    return after_all(outputs).apply(check)


@pytest.mark.parametrize("agent_type", AGENT_TYPES)
@pulumi.runtime.test
def test_aws_policies_name_only_this_stacks_resources(agent_type: str, mocks: RecordingMocks, bundle: Bundle) -> Any:
    outputs = run_program(build_stack_config(stack_values(agent_type, "aws", httpEndpoint="url")), bundle)

    def check(_: dict[str, Any]) -> None:
        found: list[str] = []
        resources = [resource.policy_args() for resource in mocks.custom()]
        iam_names_own_resources(StackArgs(resources), lambda message, urn=None: found.append(message))
        assert found == []
        assert len(mocks.of_type("aws:iam/rolePolicy:RolePolicy")) == 3

    return after_all(outputs).apply(check)


@pytest.mark.parametrize("agent_type", AGENT_TYPES)
@pulumi.runtime.test
def test_gcp_grants_name_only_this_stacks_resources(agent_type: str, mocks: RecordingMocks, bundle: Bundle) -> Any:
    outputs = run_program(build_stack_config(stack_values(agent_type, "gcp")), bundle)

    def check(_: dict[str, Any]) -> None:
        accounts = {f"serviceAccount:{a.state['email']}" for a in mocks.of_type("gcp:serviceaccount/account:Account")}
        pubsub_agent = f"serviceAccount:service-{GCP_PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com"
        secrets = {
            f"projects/am-test-project/secrets/{s.inputs['secretId']}"
            for s in mocks.of_type("gcp:secretmanager/secret:Secret")
        }
        functions = {fn.inputs["name"] for fn in mocks.of_type("gcp:cloudfunctionsv2/function:Function")}
        buckets = {b.inputs["name"] for b in mocks.of_type("gcp:storage/bucket:Bucket")}
        topics = {t.inputs["name"] for t in mocks.of_type("gcp:pubsub/topic:Topic")}
        subscriptions = {s.inputs["name"] for s in mocks.of_type("gcp:pubsub/subscription:Subscription")}
        targets = {
            "gcp:secretmanager/secretIamMember:SecretIamMember": ("secretId", secrets),
            "gcp:storage/bucketIAMMember:BucketIAMMember": ("bucket", buckets),
            "gcp:pubsub/topicIAMMember:TopicIAMMember": ("topic", topics),
            "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember": ("subscription", subscriptions),
            "gcp:cloudrun/iamMember:IamMember": ("service", functions),
        }
        databases = {
            f'resource.name == "projects/am-test-project/databases/{d.inputs["name"]}"'
            for d in mocks.of_type("gcp:firestore/database:Database")
        }
        custom_roles = {r.state["name"] for r in mocks.of_type("gcp:projects/iAMCustomRole:IAMCustomRole")}
        grants = 0
        for resource in mocks.resources:
            if resource.typ in targets:
                key, own = targets[resource.typ]
                assert resource.inputs[key] in own, (resource.name, resource.inputs[key])
                assert resource.inputs["member"] in accounts | {pubsub_agent, "allUsers"}
                grants += 1
            if resource.typ == "gcp:projects/iAMMember:IAMMember":  # Firestore has no per-database IAM resource
                assert resource.inputs["member"] in accounts
                assert resource.inputs["condition"]["expression"] in databases, "a project grant names its database"
                assert resource.inputs["role"] in custom_roles, "only this stack's own narrow roles"
                grants += 1
            else:
                assert not resource.typ.startswith("gcp:projects/iAMBinding"), "no project-wide binding"
                assert not resource.typ.startswith("gcp:projects/iAMPolicy"), "no project-wide policy"
        public = [r for r in mocks.of_type("gcp:cloudrun/iamMember:IamMember") if r.inputs["member"] == "allUsers"]
        assert [r.inputs["service"] for r in public] == ["am-dev-http"]
        bucket_grants = mocks.of_type("gcp:storage/bucketIAMMember:BucketIAMMember")
        own_prefixes = tuple(f'/buckets/{g.inputs["bucket"]}/objects/{p}")' for g in bucket_grants for p in PREFIXES)
        assert all(
            grant.inputs["condition"]["expression"].split(" || ")[0].endswith(own_prefixes) for grant in bucket_grants
        )
        assert grants > 10

    return after_all(outputs).apply(check)


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_two_stacks_share_no_names(cloud: str, use_stack: Any, bundle: Bundle) -> None:
    """Two agent types as two stacks: every secret, bucket, queue/topic, role/account and function differs."""
    seen: dict[str, dict[str, list[str]]] = {}

    @pulumi.runtime.test
    def deploy(stack: str, agent_type: str) -> pulumi.Output[None]:
        mocks = use_stack(stack)
        outputs = run_program(build_stack_config(stack_values(agent_type, cloud, stack=stack)), bundle)

        def check(_: dict[str, Any]) -> None:
            names = physical_names(mocks)
            for typ, values in names.items():
                assert len(values) == len(set(values)), typ
            seen[stack] = names
            if len(seen) == 2:
                first, second = seen.values()
                assert set(first) == set(second)
                for typ in first:
                    assert not set(first[typ]) & set(second[typ]), typ

        return after_all(outputs).apply(check)

    deploy("support-prod", "elevenlabs_customer_support")
    deploy("Sales_Prod", "generic_voice_agent")
    assert len(seen) == 2
    kinds = {typ.split("/")[0] for typ in seen["support-prod"]}
    expected = (
        {"aws:secretsmanager", "aws:s3", "aws:sqs", "aws:iam"}
        if cloud == "aws"
        else {"gcp:secretmanager", "gcp:storage", "gcp:pubsub", "gcp:serviceaccount"}
    )
    assert expected <= kinds


PREFIXES = ("events/", "mem0-pending/")


@pytest.mark.parametrize("backend", ["mem0", "firestore"])
@pulumi.runtime.test
def test_gcp_storage_grants_are_exactly_these(backend: str, mocks: RecordingMocks, bundle: Bundle) -> Any:
    """Every archive grant: which account, which predefined role, conditioned on which prefix (and, for the
    worker's erase jobs, listing under the event prefix only). Nothing for the sweeper; pending only with mem0."""
    outputs = run_program(build_stack_config(stack_values("generic_voice_agent", "gcp", memoryBackend=backend)), bundle)

    def check(_: dict[str, Any]) -> None:
        email = {a.inputs["accountId"]: a.state["email"] for a in mocks.of_type("gcp:serviceaccount/account:Account")}
        bucket = "am-dev-archive-am-test-project"
        objects = f"projects/_/buckets/{bucket}/objects/"
        found = {
            (g.inputs["member"], g.inputs["role"], g.inputs["condition"]["expression"])
            for g in mocks.of_type("gcp:storage/bucketIAMMember:BucketIAMMember")
            if g.inputs["bucket"] == bucket
        }
        expected = {
            (f"serviceAccount:{email['am-dev-http']}", "roles/storage.objectCreator",
             f'resource.name.startsWith("{objects}events/")'),
            (f"serviceAccount:{email['am-dev-worker']}", "roles/storage.objectUser",
             f'resource.name.startsWith("{objects}events/") || (resource.type == "storage.googleapis.com/Bucket" && '
             'api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("events/"))'),
        }  # fmt: skip
        if backend == "mem0":
            expected |= {
                (f"serviceAccount:{email[f'am-dev-{role}']}", "roles/storage.objectUser",
                 f'resource.name.startsWith("{objects}mem0-pending/") || '
                 '(resource.type == "storage.googleapis.com/Bucket"'
                 ' && api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("mem0-pending/"))')
                for role in ("http", "worker")
            }  # fmt: skip
        assert found == expected
        assert len(mocks.of_type("gcp:storage/bucketIAMMember:BucketIAMMember")) == len(expected)
        (archive,) = [b for b in mocks.of_type("gcp:storage/bucket:Bucket") if b.inputs["name"] == bucket]
        conditions = [rule["condition"] for rule in archive.inputs["lifecycleRules"]]
        assert {"age": 30, "matchesPrefixes": ["events/"]} in conditions
        assert archive.inputs["softDeletePolicy"] == {"retentionDurationSeconds": 0}  # an erased generation is gone
        pending = [c for c in conditions if c.get("matchesPrefixes") == ["mem0-pending/"]]
        assert len(pending) == (2 if backend == "mem0" else 0)
        env = [fn.inputs["serviceConfig"]["environmentVariables"] for fn in mocks.of_type(GCP_FUNCTION)]
        assert all(v.get("MEM0_PENDING_PREFIX") == ("mem0-pending/" if backend == "mem0" else None) for v in env)

    return after_all(outputs).apply(check)


def _lambda_secret_versions(mocks: RecordingMocks, hmac_key: str, bundle: Bundle) -> pulumi.Output[dict[str, Any]]:
    secrets = {**TEST_SECRET_VALUES, "ELEVENLABS_HMAC_KEY": hmac_key}
    config = build_stack_config(stack_values("elevenlabs_customer_support", "aws", secrets=secrets, warmInstances=2))
    outputs = run_program(config, bundle)

    def read(_: dict[str, Any]) -> dict[str, Any]:
        (version,) = mocks.of_type("aws:secretsmanager/secretVersion:SecretVersion")
        functions = {
            fn.inputs["name"]: fn.inputs["environment"]["variables"].get("SECRET_VERSION")
            for fn in mocks.of_type("aws:lambda/function:Function")
        }
        mocks.resources.clear()
        return {"version": version.state["versionId"], "functions": functions}

    return after_all(outputs).apply(read)


@pulumi.runtime.test
def test_a_new_secret_value_restarts_every_aws_function(mocks: RecordingMocks, bundle: Bundle) -> Any:
    """A function keeps the secret it read at its cold start: rotating a platform key with `pulumi up` must change
    every function's configuration, or warm (and provisioned) instances keep refusing the platform's new signature."""
    before = _lambda_secret_versions(mocks, "leakcheck-elevenlabs-hmac-old-1", bundle)

    def rotate(first: dict[str, Any]) -> pulumi.Output[None]:
        def check(second: dict[str, Any]) -> None:
            for run in (first, second):
                assert set(run["functions"]) == {"am-dev-http", "am-dev-worker", "am-dev-sweeper"}
                assert set(run["functions"].values()) == {run["version"]}
            assert first["version"] != second["version"]

        return _lambda_secret_versions(mocks, "leakcheck-elevenlabs-hmac-new-2", bundle).apply(check)

    return before.apply(rotate)
