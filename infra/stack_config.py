"""The stack's configuration, read in this one module and validated whole before any resource is declared.

``read_stack_config()`` reads ``Pulumi.<stack>.yaml`` through ``pulumi.Config``; the tenants provisioning
builds ``StackConfig`` directly. Either way the agent type must exist in ``config/agent_types.json`` and
every secret its enabled endpoints, its memory backend and the admin routes need must be given, or a
``ConfigError`` names the missing piece (and the ``pulumi config set --secret`` key that provides it); a key of the
project's namespace that the program does not read is refused too, with the key it resembles.
Secret values are kept as given (plain strings or Pulumi secret Outputs); the program marks them secret.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import pulumi
import pulumi.runtime.config
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from infra.spec import MAX_INSTANCES
from infra.wiring.checks import PLATFORM_KEY_CONFIG, WIRING_IDS, WIRING_KEYS, generated_secrets, wiring_problems
from shared.admin import admin_key_problem
from shared.config.loader import DEFAULT_CONFIG_PATH, load_agent_types
from shared.config.models import ENDPOINTS, AgentType
from shared.errors import ConfigError
from shared.keyed_hash import MIN_KEY_CHARS
from shared.secrets import Secret

Cloud = Literal["aws", "gcp"]
MemoryBackend = Literal["dynamodb", "firestore", "mem0", "sqlite"]
# The store in the customer's own account, per cloud: what ``memoryBackend`` is unless the stack says otherwise.
DEFAULT_MEMORY_BACKEND: dict[str, MemoryBackend] = {"aws": "dynamodb", "gcp": "firestore"}
# Per backend, the clouds it can run on (mem0 is a remote service: any).
BACKEND_CLOUDS: dict[str, tuple[str, ...]] = {"dynamodb": ("aws",), "firestore": ("gcp",), "mem0": ("aws", "gcp")}
# Firestore's point-in-time recovery has one window (on) or none (off: one hour of versions).
FIRESTORE_RECOVERY_DAYS = 7
SQLITE_REFUSED = (
    "memoryBackend sqlite cannot work deployed: the HTTP function and the worker are separate functions with "
    "separate /tmp disks, so what the worker writes is never read before a call, and an instance's disk disappears "
    "with it. Use {default} (the default on {cloud}: memories stay in your account) or mem0"
)

# Secret name (as the functions read it) -> stack config key (`pulumi config set --secret <key> ...`).
SECRET_CONFIG_KEYS: dict[str, str] = {
    "ELEVENLABS_WORKSPACE_KEY": "elevenlabsWorkspaceKey",
    "ELEVENLABS_HMAC_KEY": "elevenlabsHmacKey",
    "VAPI_SECRET": "vapiSecret",
    "RETELL_API_KEY": "retellApiKey",
    "GENERIC_API_KEY": "genericApiKey",
    "ADMIN_API_KEY": "adminApiKey",
    "MEM0_API_KEY": "mem0ApiKey",
    "PSEUDONYMIZATION_KEY": "pseudonymizationKey",
    **PLATFORM_KEY_CONFIG,  # read by the platform wiring (infra/wiring), never deployed
}
# Values CloudWatch Logs accepts for retention; Cloud Logging accepts 1 to 3650 days, so all but 3653 on GCP.
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
CLOUD_LOGGING_MAX_RETENTION_DAYS = 3650  # a log bucket's longest retention
GCP_LONGEST_LOG_RETENTION = max(days for days in LOG_RETENTION_DAYS if days <= CLOUD_LOGGING_MAX_RETENTION_DAYS)
# Secrets Manager's recovery window: 0 (delete at once) or 7 to 30 days; nothing in between.
SECRET_RECOVERY_WINDOW_DAYS = (0, *range(7, 31))
AWS_ONLY_KEYS = ("httpEndpoint", "secretRecoveryWindowDays", "layerZip")  # nothing on gcp reads them
# A Cloud Functions region (europe-west1, us-central1, northamerica-northeast1) and a project id (6 to 30 lowercase
# letters, digits and hyphens), optionally domain-scoped (example.com:my-proj). Checked here: a typo would otherwise
# stop `pulumi up` half-way, at the first resource that names them (after the APIs, secrets and accounts).
GCP_REGION = r"^[a-z]+(?:-[a-z]+)+[0-9]+$"
GCP_PROJECT = r"^(?:[a-z0-9][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$"
PLAIN_KEYS = (
    "cloud",
    "agentType",
    "memoryBackend",
    "warmInstances",
    "logRetentionDays",
    "archiveRetentionDays",
    "alertEmail",
    "httpEndpoint",
    "secretRecoveryWindowDays",
    "memoryRecoveryDays",
    "memoryDeletionProtection",
    "layerZip",
    "mem0Host",
    *WIRING_KEYS,
)

# Written by the tenants provisioning into each stack it owns (infra/tenants/stacks.py); no resource reads it.
TENANT_MARKER = "tenant"


def known_keys() -> tuple[str, ...]:
    """Every key of the project's namespace this program reads (or tolerates: the tenants marker)."""
    return (*PLAIN_KEYS, *SECRET_CONFIG_KEYS.values(), TENANT_MARKER)


def unknown_key_problems(keys: Iterable[str], project: str) -> list[str]:
    """A key in the project's namespace that nothing reads is a typo: silently ignored, its setting never applies.

    Each problem names the key and, when one is close (difflib, ignoring case), the known key it resembles.
    """
    names = set(known_keys())
    known = {key.lower(): key for key in names}
    problems = []
    for full_key in sorted(keys):
        namespace, _, key = full_key.partition(":")
        if namespace != project or key in names:
            continue
        close = difflib.get_close_matches(key.lower(), list(known), n=1)
        hint = f"; did you mean {project}:{known[close[0]]}?" if close else ""
        problems.append(f"stack config {full_key} is not a key of this program{hint}")
    return problems


def _all_config_keys() -> set[str]:
    """Every config key Pulumi gave this run: set by the language host (or mocks), or in ``PULUMI_CONFIG``."""
    return set(pulumi.runtime.config.CONFIG.get()) | set(pulumi.runtime.config.get_config_env())


# Field name -> stack config key of the wiring ids (infra/wiring/checks.py).
_WIRING_FIELDS = {
    "elevenlabs_agent_id": "elevenlabsAgentId",
    "vapi_phone_number_id": "vapiPhoneNumberId",
    "vapi_assistant_id": "vapiAssistantId",
    "retell_agent_id": "retellAgentId",
    "retell_phone_number": "retellPhoneNumber",
}


def required_secrets(agent_type: AgentType, memory_backend: str) -> tuple[str, ...]:
    """The secrets a deployment of this agent type cannot start without (authentication fails closed)."""
    from shared.profile import resolve_profile

    profile = resolve_profile("agent type", agent_type)
    names: set[str] = {profile.auth[endpoint].secret for endpoint in ENDPOINTS if profile.enabled(endpoint)}
    names.add("ADMIN_API_KEY")
    if memory_backend == "mem0":
        names.add("MEM0_API_KEY")
    if agent_type.identity.pseudonymize:
        names.add("PSEUDONYMIZATION_KEY")
    return tuple(sorted(names))


class StackConfig(BaseModel):
    """One stack: which cloud, which agent type, its knobs and its secrets (by the functions' secret names)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, arbitrary_types_allowed=True)

    stack: Annotated[str, Field(min_length=1)]
    cloud: Cloud
    agent_type: str = Field(alias="agentType")
    # Unset: the cloud's own database (``DEFAULT_MEMORY_BACKEND``), filled in before validation.
    memory_backend: MemoryBackend = Field(default="dynamodb", alias="memoryBackend")
    warm_instances: Annotated[int, Field(ge=0, le=100)] = Field(default=0, alias="warmInstances")
    log_retention_days: int = Field(default=30, alias="logRetentionDays")
    archive_retention_days: Annotated[int, Field(ge=1, le=3650)] = Field(default=30, alias="archiveRetentionDays")
    alert_email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = Field(
        default=None, alias="alertEmail"
    )
    http_endpoint: Literal["api", "url"] = Field(default="api", alias="httpEndpoint")
    secret_recovery_window_days: int = Field(default=7, alias="secretRecoveryWindowDays")
    # The memory table's point-in-time recovery window (DynamoDB allows 1-35 days; 0 turns it off): erased callers
    # stay restorable from backups this long. Seven days, like the archive's noncurrent versions and the secret.
    memory_recovery_days: Annotated[int, Field(ge=0, le=35)] = Field(default=7, alias="memoryRecoveryDays")
    memory_deletion_protection: bool = Field(default=True, alias="memoryDeletionProtection")
    layer_zip: Path | None = Field(default=None, alias="layerZip")
    # Another Mem0 endpoint (MEM0_HOST) than Mem0 Platform's own, with memoryBackend mem0.
    mem0_host: str | None = Field(default=None, alias="mem0Host")
    aws_region: str | None = Field(default=None, alias="aws:region")
    gcp_project: str | None = Field(default=None, alias="gcp:project")
    gcp_region: str | None = Field(default=None, alias="gcp:region")
    elevenlabs_agent_id: str | None = Field(default=None, alias="elevenlabsAgentId", min_length=1)
    vapi_phone_number_id: str | None = Field(default=None, alias="vapiPhoneNumberId", min_length=1)
    vapi_assistant_id: str | None = Field(default=None, alias="vapiAssistantId", min_length=1)
    retell_agent_id: str | None = Field(default=None, alias="retellAgentId", min_length=1)
    retell_phone_number: str | None = Field(default=None, alias="retellPhoneNumber", pattern=r"^\+[1-9][0-9]{6,14}$")
    secrets: dict[str, Any] = Field(default_factory=dict, repr=False)
    agent_types_path: Path = DEFAULT_CONFIG_PATH

    _agent: AgentType | None = PrivateAttr(default=None)
    _required: tuple[str, ...] = PrivateAttr(default=())
    _generated: frozenset[str] = PrivateAttr(default=frozenset())
    _wiring_auth: Any = PrivateAttr(default=None)

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        if days not in LOG_RETENTION_DAYS:
            raise ValueError(f"must be one of {', '.join(map(str, LOG_RETENTION_DAYS))}")
        return days

    @field_validator("secret_recovery_window_days")
    @classmethod
    def _recovery_window(cls, days: int) -> int:
        if days not in SECRET_RECOVERY_WINDOW_DAYS:
            raise ValueError("must be 0 (delete at once) or 7 to 30 days: AWS Secrets Manager accepts nothing else")
        return days

    @field_validator("gcp_region")
    @classmethod
    def _gcp_region(cls, region: str | None) -> str | None:
        if region is not None and not re.match(GCP_REGION, region):
            raise ValueError("must be a Cloud Functions region such as europe-west1 or us-central1 (not a zone)")
        return region

    @field_validator("gcp_project")
    @classmethod
    def _gcp_project(cls, project: str | None) -> str | None:
        if project is not None and not re.match(GCP_PROJECT, project):
            raise ValueError(
                "must be a project id (6 to 30 lowercase letters, digits and hyphens, starting with a letter; "
                "domain-scoped: example.com:my-proj), not the project's name or number"
            )
        return project

    @field_validator("mem0_host")
    @classmethod
    def _mem0_host(cls, url: str | None) -> str | None:
        """The Mem0 API key travels to this host: https only, and nothing in the URL that could be a credential."""
        if url is None:
            return None
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
            raise ValueError("must be an https URL of a host, without user or password (such as https://api.mem0.ai)")
        if parts.query or parts.fragment:
            raise ValueError("must be an https URL without a query or fragment")
        return url.rstrip("/")

    @field_validator("secrets")
    @classmethod
    def _secret_values(cls, secrets: dict[str, Any]) -> dict[str, Any]:
        for name, value in secrets.items():
            if name not in SECRET_CONFIG_KEYS:
                raise ValueError(f"unknown secret {name!r}; known: {', '.join(SECRET_CONFIG_KEYS)}")
            if not isinstance(value, pulumi.Output) and not (isinstance(value, str) and value.strip()):
                raise ValueError(f"secret {name} must be a non-empty string or a Pulumi Output")
        return secrets

    @model_validator(mode="before")
    @classmethod
    def _default_backend(cls, data: Any) -> Any:
        """No ``memoryBackend``: the database of the stack's cloud, so memories stay in the customer's account."""
        if not isinstance(data, dict) or data.get("cloud") not in DEFAULT_MEMORY_BACKEND:
            return data
        if data.get("memoryBackend") is None and data.get("memory_backend") is None:
            return {**data, "memoryBackend": DEFAULT_MEMORY_BACKEND[data["cloud"]]}
        return data

    @model_validator(mode="after")
    def _whole(self) -> StackConfig:
        known = load_agent_types(self.agent_types_path).agent_types
        if self.agent_type not in known:
            raise ConfigError(
                f"stack {self.stack!r}: agentType {self.agent_type!r} is not in {self.agent_types_path.name}; "
                f"known: {', '.join(sorted(known))}"
            )
        if self.cloud == "aws" and not self.aws_region:
            raise ConfigError(f"stack {self.stack!r}: cloud aws needs aws:region (pulumi config set aws:region ...)")
        if self.cloud == "gcp" and not (self.gcp_project and self.gcp_region):
            missing = [
                key for key, value in (("gcp:project", self.gcp_project), ("gcp:region", self.gcp_region)) if not value
            ]
            raise ConfigError(f"stack {self.stack!r}: cloud gcp needs {' and '.join(missing)}")
        self._check_backend()
        self._check_gcp_limits()
        agent = known[self.agent_type]
        self._check_processors(agent)
        required = required_secrets(agent, self.memory_backend)
        wiring = {key: getattr(self, name) for name, key in _WIRING_FIELDS.items()}
        answer = agent.response.assistant_id
        problems = wiring_problems(wiring, self.secrets, agent.provider, answer_assistant_id=answer)
        if not problems and any(wiring.get(key) for key in WIRING_IDS):
            problems = self._check_wiring_auth(agent)
        if problems:
            raise ConfigError(f"stack {self.stack!r}: " + "; ".join(problems))
        self._generated = generated_secrets(wiring)
        missing = [name for name in required if name not in self.secrets and name not in self._generated]
        if missing:
            hints = ", ".join(f"{name} (pulumi config set --secret {SECRET_CONFIG_KEYS[name]} ...)" for name in missing)
            raise ConfigError(f"stack {self.stack!r}: agent type {self.agent_type!r} needs the secret(s) {hints}")
        self._agent = agent
        self._required = required
        return self

    def _check_backend(self) -> None:
        """Refused before any resource: a backend that cannot keep memories on this cloud."""
        backend, default = self.memory_backend, DEFAULT_MEMORY_BACKEND[self.cloud]
        if backend == "sqlite":
            raise ConfigError(f"stack {self.stack!r}: " + SQLITE_REFUSED.format(default=default, cloud=self.cloud))
        if self.cloud not in BACKEND_CLOUDS[backend]:
            raise ConfigError(
                f"stack {self.stack!r}: memoryBackend {backend} runs on {' or '.join(BACKEND_CLOUDS[backend])}, "
                f"not {self.cloud}; use {default} or mem0"
            )
        if self.mem0_host is not None and backend != "mem0":
            raise ConfigError(
                f"stack {self.stack!r}: mem0Host is for memoryBackend mem0, not {backend}: remove it or use mem0"
            )
        if backend == "firestore" and self.memory_recovery_days not in (0, FIRESTORE_RECOVERY_DAYS):
            raise ConfigError(
                f"stack {self.stack!r}: memoryRecoveryDays {self.memory_recovery_days}: Firestore's point-in-time "
                f"recovery keeps exactly {FIRESTORE_RECOVERY_DAYS} days; use {FIRESTORE_RECOVERY_DAYS} or 0 (off)"
            )

    def _check_gcp_limits(self) -> None:
        """Values a Cloud Function or a log bucket would refuse only at deploy time, half-way through an update; and
        AWS's own keys, which nothing on gcp reads (set, they would be silently ignored)."""
        if self.cloud != "gcp":
            return
        given = {type(self).model_fields[name].alias for name in self.model_fields_set}
        aws_only = sorted(key for key in AWS_ONLY_KEYS if key in given)
        if aws_only:
            raise ConfigError(
                f"stack {self.stack!r}: {', '.join(aws_only)} only apply on aws; nothing reads them on gcp: remove them"
            )
        if self.warm_instances > MAX_INSTANCES:
            raise ConfigError(
                f"stack {self.stack!r}: warmInstances {self.warm_instances} is more than the {MAX_INSTANCES} instances "
                f"a function may run (its min instances cannot exceed its max); use at most {MAX_INSTANCES}"
            )
        if self.log_retention_days > CLOUD_LOGGING_MAX_RETENTION_DAYS:
            raise ConfigError(
                f"stack {self.stack!r}: logRetentionDays {self.log_retention_days} is longer than Cloud Logging "
                f"keeps logs ({CLOUD_LOGGING_MAX_RETENTION_DAYS} days); the longest value on gcp is "
                f"{GCP_LONGEST_LOG_RETENTION}"
            )

    def _check_processors(self, agent: AgentType) -> None:
        """Processor plugins travel in the Lambda layer (``infra.plugins``); Cloud Functions' build installs only the
        bundle's own ``requirements.txt``, which carries none, so every function of such a stack would refuse to
        start (the runtime cannot find the processor) and each call's memories would be lost."""
        from shared.processors.registry import named

        plugins = sorted(named(agent))
        if self.cloud == "gcp" and plugins:
            raise ConfigError(
                f"stack {self.stack!r}: agent type {self.agent_type!r} enables the processor plugin(s) "
                f"{', '.join(plugins)}, which reach AWS Lambda only (in its layer): on gcp no function could start. "
                "Deploy this agent type on aws, or take the processors out of its config"
            )

    def _check_wiring_auth(self, agent: AgentType) -> list[str]:
        """The credential the wired platform must send, as the agent type checks it (``functions.wiring.service``)."""
        from functions.wiring import WiringError
        from functions.wiring.service import check_agent_type, expected_auth
        from shared.profile import resolve_profile

        try:
            profile = resolve_profile(self.agent_type, agent)
            check_agent_type(profile, agent.provider)
            self._wiring_auth = expected_auth(profile, agent.provider)
        except (ConfigError, WiringError) as exc:
            return [str(exc)]
        return []

    @property
    def wiring_auth(self) -> Any:
        """The ``ServiceAuth`` of the wired platform (``None`` when the stack wires nothing)."""
        return self._wiring_auth

    @property
    def agent(self) -> AgentType:
        assert self._agent is not None
        return self._agent

    @property
    def required_secret_names(self) -> tuple[str, ...]:
        return self._required

    @property
    def deployed_secrets(self) -> dict[str, Any]:
        """Only the secrets this deployment needs: a key given for another provider is not stored anywhere."""
        return {name: self.secrets[name] for name in self._required if name not in self._generated}

    @property
    def unused_secret_names(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.secrets) - set(self._required) - set(PLATFORM_KEY_CONFIG)))

    @property
    def generated_secret_names(self) -> frozenset[str]:
        """Secrets the platform wiring generates for this stack (ElevenLabs' HMAC key), so none is configured."""
        return self._generated

    @property
    def archive_retention(self) -> int:
        return self.archive_retention_days


def describe_errors(exc: ValidationError, project: str) -> str:
    """Field and error type only; the input (which may be a secret) is never echoed."""
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        loc = ".".join(str(part) for part in error["loc"])
        key = loc if ":" in loc or not loc else f"{project}:{loc}"
        lines.append(f"stack config {key or '(whole)'}: {error['msg']}")
    return "\n".join(lines)


def secret_value_problems(config: StackConfig, values: Mapping[str, str], *, project: str) -> list[str]:
    """What the deployed functions would refuse, or keep shut, in the values of the secrets this stack deploys: a
    ``pseudonymizationKey`` shorter than ``MIN_KEY_CHARS`` (no function would start), an ``adminApiKey`` equal to
    another deployed secret (the admin API would stay shut). Names only, never a value."""
    deployed = {name: Secret(values[name]) for name in config.deployed_secrets if name in values}
    problems = []
    key = deployed.get("PSEUDONYMIZATION_KEY")
    if key is not None and len(key.reveal()) < MIN_KEY_CHARS:
        config_key = SECRET_CONFIG_KEYS["PSEUDONYMIZATION_KEY"]
        problems.append(
            f"stack config {project}:{config_key} must be at least {MIN_KEY_CHARS} characters of random data "
            f"(openssl rand -hex 32): deployed, no function would start with a shorter one"
        )
    others = {name: secret for name, secret in deployed.items() if name != "ADMIN_API_KEY"}
    problem = admin_key_problem(deployed.get("ADMIN_API_KEY"), others)
    if problem:
        problems.append(
            f"stack config {project}:{SECRET_CONFIG_KEYS['ADMIN_API_KEY']}: {problem} (deployed, the admin API "
            "would stay shut)"
        )
    return problems


def build_stack_config(values: dict[str, Any], *, project: str = "agentic-memory") -> StackConfig:
    """Validate plain values (config key names) into a ``StackConfig``; every mistake is a ``ConfigError``."""
    try:
        return StackConfig.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(describe_errors(exc, project)) from exc


def read_stack_config(agent_types_path: Path | None = None) -> StackConfig:
    """The running stack's config from Pulumi; secrets must have been set with ``--secret``."""
    project = pulumi.get_project()
    problems = unknown_key_problems(_all_config_keys(), project)
    if problems:
        raise ConfigError("\n".join(problems) + " (the keys are listed in docs/deploying.md)")
    config = pulumi.Config()
    values: dict[str, Any] = {"stack": pulumi.get_stack()}
    for key in PLAIN_KEYS:
        value = config.get(key)
        if value is not None:
            values[key] = value
    for namespace, key in (("aws", "region"), ("gcp", "project"), ("gcp", "region")):
        value = pulumi.Config(namespace).get(key)
        if value is not None:
            values[f"{namespace}:{key}"] = value
    secrets: dict[str, Any] = {}
    plain: dict[str, str] = {}  # only to check the values below; the program gets the secret Outputs
    for name, key in SECRET_CONFIG_KEYS.items():
        raw = config.get(key)
        if raw is None:
            continue
        if not pulumi.runtime.is_config_secret(f"{project}:{key}"):
            raise ConfigError(f"stack config {project}:{key} must be a secret: pulumi config set --secret {key} ...")
        if not raw.strip():  # e.g. CI piped an unset variable: deployed, every function would refuse to start
            raise ConfigError(
                f"stack config {project}:{key} is empty: set it (pulumi config set --secret {key}) or remove it"
            )
        secrets[name] = config.require_secret(key)
        plain[name] = raw
    values["secrets"] = secrets
    if agent_types_path is not None:
        values["agent_types_path"] = agent_types_path
    stack_config = build_stack_config(values, project=project)
    problems = secret_value_problems(stack_config, plain, project=project)
    if problems:
        raise ConfigError("\n".join(problems))
    return stack_config


__all__ = [
    "CLOUD_LOGGING_MAX_RETENTION_DAYS",
    "DEFAULT_MEMORY_BACKEND",
    "GCP_LONGEST_LOG_RETENTION",
    "LOG_RETENTION_DAYS",
    "PLAIN_KEYS",
    "SECRET_CONFIG_KEYS",
    "SECRET_RECOVERY_WINDOW_DAYS",
    "TENANT_MARKER",
    "StackConfig",
    "build_stack_config",
    "known_keys",
    "read_stack_config",
    "required_secrets",
    "secret_value_problems",
    "unknown_key_problems",
]
