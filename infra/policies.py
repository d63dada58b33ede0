"""CrossGuard-style policies as plain functions: ``validate(args, report_violation)``.

``args`` has the fields of ``pulumi_policy.ResourceValidationArgs`` these read (``resource_type``,
``props`` in camelCase engine names, ``name``, ``urn``), or of ``StackValidationArgs`` (``resources``), so
each function can be handed to ``ResourceValidationPolicy(validate=...)`` in a policy pack unchanged. The
tests call them directly and over every resource Pulumi's mocks record, with no CLI and no gRPC server.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from infra.stack_config import SECRET_CONFIG_KEYS
from shared.keyed_hash import CALLER_REF_KEY

SECRET_NAMES = frozenset(SECRET_CONFIG_KEYS) | {CALLER_REF_KEY}  # the last one the stack draws itself
PUBLIC_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})
SSE_ALGORITHMS = frozenset({"AES256", "aws:kms", "aws:kms:dsse"})
PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")

LAMBDA = "aws:lambda/function:Function"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
S3_BUCKET = "aws:s3/bucket:Bucket"
S3_PUBLIC_ACCESS = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
S3_ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
S3_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
SQS_QUEUE = "aws:sqs/queue:Queue"
DYNAMODB_TABLE = "aws:dynamodb/table:Table"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_POLICY = "aws:iam/policy:Policy"
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
GCS_BUCKET = "gcp:storage/bucket:Bucket"
GCS_IAM_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
GCP_FUNCTION = "gcp:cloudfunctionsv2/function:Function"
CLOUD_RUN_INVOKER = "gcp:cloudrun/iamMember:IamMember"
GCP_LOG_BUCKET = "gcp:logging/projectBucketConfig:ProjectBucketConfig"


class ReportViolation(Protocol):
    def __call__(self, message: str, urn: str | None = None) -> None: ...


@dataclass(frozen=True)
class ResourceArgs:
    """The part of ``pulumi_policy.ResourceValidationArgs`` (and ``PolicyResource``) the policies read."""

    resource_type: str
    props: Mapping[str, Any]
    name: str = ""
    urn: str = ""


@dataclass(frozen=True)
class StackArgs:
    resources: Sequence[ResourceArgs] = field(default_factory=tuple)


def _flag(props: Mapping[str, Any], key: str) -> bool:
    return props.get(key) is True


def _statements(document: Any) -> list[Mapping[str, Any]]:
    if isinstance(document, str):
        document = json.loads(document)
    statements = document.get("Statement", []) if isinstance(document, Mapping) else []
    return [statements] if isinstance(statements, Mapping) else list(statements)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# Resource policies -----------------------------------------------------------------------------------------------


def storage_encrypted(args: ResourceArgs, report_violation: ReportViolation) -> None:
    """Queues, tables (with a KMS key) and bucket encryption configurations must encrypt at rest."""
    props = args.props
    if args.resource_type == DYNAMODB_TABLE and not _flag(props.get("serverSideEncryption") or {}, "enabled"):
        report_violation(f"table {args.name}: not encrypted with a KMS key (serverSideEncryption.enabled)", args.urn)
    if args.resource_type == SQS_QUEUE and not (_flag(props, "sqsManagedSseEnabled") or props.get("kmsMasterKeyId")):
        report_violation(f"queue {args.name}: not encrypted at rest (sqsManagedSseEnabled or kmsMasterKeyId)", args.urn)
    if args.resource_type == S3_ENCRYPTION:
        rules = props.get("rules") or []
        algorithms = [(rule.get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm") for rule in rules]
        if not algorithms or any(algorithm not in SSE_ALGORITHMS for algorithm in algorithms):
            report_violation(f"bucket encryption {args.name}: every rule needs a default SSE algorithm", args.urn)


def storage_private(args: ResourceArgs, report_violation: ReportViolation) -> None:
    """No public bucket: all four S3 public-access blocks on, GCS uniform access with public access prevented."""
    props, kind = args.props, args.resource_type
    if kind == S3_PUBLIC_ACCESS and not all(_flag(props, key) for key in PUBLIC_ACCESS_FLAGS):
        report_violation(f"bucket {args.name}: every public access block must be on", args.urn)
    if kind == S3_BUCKET and str(props.get("acl", "private")).startswith("public"):
        report_violation(f"bucket {args.name}: public ACL", args.urn)
    if kind == S3_POLICY:
        for statement in _statements(props.get("policy") or "{}"):
            if statement.get("Effect") == "Allow" and statement.get("Principal") in ("*", {"AWS": "*"}):
                report_violation(f"bucket policy {args.name}: allows everyone", args.urn)
    if kind == GCS_BUCKET:
        if not _flag(props, "uniformBucketLevelAccess"):
            report_violation(f"bucket {args.name}: uniform bucket-level access must be on", args.urn)
        if props.get("publicAccessPrevention") != "enforced":
            report_violation(f"bucket {args.name}: public access prevention must be enforced", args.urn)
    if kind == GCS_IAM_MEMBER and props.get("member") in PUBLIC_MEMBERS:
        report_violation(f"bucket IAM {args.name}: grants {props.get('member')}", args.urn)


def log_retention_set(args: ResourceArgs, report_violation: ReportViolation) -> None:
    """Logs must expire: a log group (or GCP log bucket) without retention keeps transcripts' traces forever."""
    key = {LOG_GROUP: "retentionInDays", GCP_LOG_BUCKET: "retentionDays"}.get(args.resource_type)
    if key is None:
        return
    days = args.props.get(key)  # numbers arrive as floats from the engine (protobuf Struct)
    if isinstance(days, bool) or not isinstance(days, int | float) or days <= 0:
        report_violation(f"log storage {args.name}: {key} must be set", args.urn)


def no_wildcard_iam(args: ResourceArgs, report_violation: ReportViolation) -> None:
    """No ``*`` resource or action, no ``NotResource``/``NotAction`` in an allow statement of an IAM policy."""
    if args.resource_type not in (ROLE_POLICY, IAM_POLICY):
        return
    for statement in _statements(args.props.get("policy") or "{}"):
        if statement.get("Effect") != "Allow":
            continue
        if "NotResource" in statement or "NotAction" in statement:
            report_violation(f"policy {args.name}: NotResource/NotAction in an allow statement", args.urn)
        if any(resource == "*" for resource in _as_list(statement.get("Resource", []))):
            report_violation(f"policy {args.name}: wildcard resource", args.urn)
        if any(action == "*" or str(action).endswith(":*") for action in _as_list(statement.get("Action", []))):
            report_violation(f"policy {args.name}: wildcard action", args.urn)


def no_plaintext_secret_env(args: ResourceArgs, report_violation: ReportViolation) -> None:
    """Secrets reach functions by reference (Secrets Manager ARN, Secret Manager mount), never as env values."""
    if args.resource_type == LAMBDA:
        variables = (args.props.get("environment") or {}).get("variables") or {}
    elif args.resource_type == GCP_FUNCTION:
        config = args.props.get("serviceConfig") or {}
        variables = {**(config.get("environmentVariables") or {})}
        variables.update((args.props.get("buildConfig") or {}).get("environmentVariables") or {})
    else:
        return
    leaked = sorted(SECRET_NAMES & set(variables))
    if leaked:
        report_violation(
            f"function {args.name}: secret(s) {', '.join(leaked)} as plain environment variables", args.urn
        )


def public_only_http(args: ResourceArgs, report_violation: ReportViolation) -> None:
    """Only the HTTP function may be invoked by anyone; the worker and sweeper only by their triggers."""
    props = args.props
    if args.resource_type == CLOUD_RUN_INVOKER and props.get("member") in PUBLIC_MEMBERS:
        target = str(props.get("service", ""))
    elif args.resource_type == LAMBDA_PERMISSION and props.get("principal") == "*":
        target = str(props.get("function", ""))
    else:
        return
    if not target.endswith("-http"):
        report_violation(f"{args.name}: public access to {target}", args.urn)


RESOURCE_POLICIES: tuple[Callable[[ResourceArgs, ReportViolation], None], ...] = (
    storage_encrypted,
    storage_private,
    log_retention_set,
    no_wildcard_iam,
    no_plaintext_secret_env,
    public_only_http,
)


# Stack policies --------------------------------------------------------------------------------------------------


def _of_type(resources: Iterable[ResourceArgs], resource_type: str) -> list[ResourceArgs]:
    return [resource for resource in resources if resource.resource_type == resource_type]


def s3_buckets_guarded(args: StackArgs, report_violation: ReportViolation) -> None:
    """Every S3 bucket has its public access block and its encryption configuration in the same stack."""
    blocked = {resource.props.get("bucket") for resource in _of_type(args.resources, S3_PUBLIC_ACCESS)}
    encrypted = {resource.props.get("bucket") for resource in _of_type(args.resources, S3_ENCRYPTION)}
    for bucket in _of_type(args.resources, S3_BUCKET):
        bucket_name = bucket.props.get("bucket")
        if bucket_name not in blocked:
            report_violation(f"bucket {bucket_name}: no public access block", bucket.urn)
        if bucket_name not in encrypted:
            report_violation(f"bucket {bucket_name}: no encryption configuration", bucket.urn)


def function_log_groups(args: StackArgs, report_violation: ReportViolation) -> None:
    """Every Lambda function has a log group named after it (``/aws/lambda/<name>``) with retention."""
    groups = {
        resource.props.get("name"): resource.props.get("retentionInDays")
        for resource in _of_type(args.resources, LOG_GROUP)
    }
    for function in _of_type(args.resources, LAMBDA):
        group = f"/aws/lambda/{function.props.get('name')}"
        if not groups.get(group):
            report_violation(
                f"function {function.props.get('name')}: no log group {group} with retention", function.urn
            )


def iam_names_own_resources(args: StackArgs, report_violation: ReportViolation) -> None:
    """Every resource an IAM policy names is (under) an ARN of a resource in this stack."""
    own = {str(resource.props["arn"]) for resource in args.resources if resource.props.get("arn")}
    for policy in _of_type(args.resources, ROLE_POLICY) + _of_type(args.resources, IAM_POLICY):
        for statement in _statements(policy.props.get("policy") or "{}"):
            for resource in _as_list(statement.get("Resource", [])):
                if not any(resource == arn or resource.startswith((f"{arn}/", f"{arn}:")) for arn in own):
                    report_violation(
                        f"policy {policy.name}: names {resource}, not a resource of this stack", policy.urn
                    )


STACK_POLICIES: tuple[Callable[[StackArgs, ReportViolation], None], ...] = (
    s3_buckets_guarded,
    function_log_groups,
    iam_names_own_resources,
)


def violations(resources: Sequence[ResourceArgs]) -> list[str]:
    """Run every policy over a stack's resources; the messages of all violations, in order."""
    found: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)

    for resource in resources:
        for policy in RESOURCE_POLICIES:
            policy(resource, report)
    for stack_policy in STACK_POLICIES:
        stack_policy(StackArgs(resources), report)
    return found


__all__ = [
    "RESOURCE_POLICIES",
    "STACK_POLICIES",
    "ResourceArgs",
    "StackArgs",
    "iam_names_own_resources",
    "log_retention_set",
    "no_plaintext_secret_env",
    "no_wildcard_iam",
    "public_only_http",
    "storage_encrypted",
    "storage_private",
    "violations",
]
