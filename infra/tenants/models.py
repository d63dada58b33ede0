"""The tenants file: which tenants exist, their agent type, cloud, config overrides and secret *references*.

A secret is never written in the file, only where to read it (``env:VAR`` or ``file:PATH``). Every mistake
is found before anything runs: an invalid field, a duplicate id, an id Pulumi would refuse as a stack name,
an agent type that ``config/agent_types.json`` does not define. Errors name the tenant and the field and
never echo the input (it could be a pasted secret).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema, model_validator

from infra.stack_config import PLAIN_KEYS, SECRET_CONFIG_KEYS
from infra.tenants.errors import TenantsFileError
from shared.config.loader import DEFAULT_CONFIG_PATH, load_agent_types
from shared.errors import ConfigError

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "config" / "tenants.schema.json"

# Stack config keys a tenant may override; cloud and agent type have their own fields, layerZip is a local path.
OVERRIDE_KEYS: tuple[str, ...] = tuple(key for key in PLAIN_KEYS if key not in ("cloud", "agentType", "layerZip"))
OverrideKey = Literal[OVERRIDE_KEYS]  # type: ignore[valid-type]
SecretName = Literal[tuple(SECRET_CONFIG_KEYS)]  # type: ignore[valid-type]

# Pulumi's rule for a stack name: letters, digits, '-', '_', '.'; at most 100 characters.
TENANT_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
_REFERENCE = re.compile(r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:\S.*)$")
ConfigValueType = str | int


def _check_reference(value: str) -> str:
    if not _REFERENCE.match(value):
        raise ValueError("must be a reference 'env:VARIABLE' or 'file:PATH'; a secret value never goes in this file")
    return value


SecretReference = Annotated[
    str, AfterValidator(_check_reference), WithJsonSchema({"type": "string", "pattern": _REFERENCE.pattern})
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Defaults(_Model):
    """Stack config every tenant gets unless it overrides the key."""

    config: dict[OverrideKey, ConfigValueType] = Field(default_factory=dict)


class Tenant(_Model):
    """One tenant: one Pulumi stack named by ``id``, one memory service."""

    id: Annotated[str, Field(pattern=TENANT_ID, description="The stack name; also carried in cloud resource names.")]
    agent_type: Annotated[str, Field(min_length=1, description="An agent type of config/agent_types.json.")]
    cloud: Literal["aws", "gcp"]
    region: Annotated[str, Field(min_length=1)] | None = Field(
        default=None, description="AWS region (aws:region) or Cloud Functions region (gcp:region)."
    )
    project: Annotated[str, Field(min_length=1)] | None = Field(default=None, description="GCP project (gcp:project).")
    config: dict[OverrideKey, ConfigValueType] = Field(
        default_factory=dict, description="Stack config overrides, by the program's config key names."
    )
    secrets: dict[SecretName, SecretReference] = Field(  # type: ignore[valid-type]
        default_factory=dict, description="Secret name -> 'env:VARIABLE' or 'file:PATH' (relative to the tenants file)."
    )

    @model_validator(mode="after")
    def _location(self) -> Tenant:
        if self.cloud == "aws":
            if not self.region:
                raise ValueError("cloud aws needs 'region' (the AWS region)")
            if self.project:
                raise ValueError("'project' is for cloud gcp; an aws tenant has only 'region'")
        elif not (self.region and self.project):
            raise ValueError("cloud gcp needs 'project' and 'region'")
        return self


class TenantsFile(_Model):
    """The whole file; ids are unique even ignoring case (stack config files live side by side)."""

    version: Literal[1] = 1
    backend_url: str | None = Field(
        default=None, description="Pulumi state backend for every stack (PULUMI_BACKEND_URL), e.g. s3://bucket."
    )
    secrets_provider: str | None = Field(
        default=None, description="Secrets provider for new stacks: passphrase, awskms://..., gcpkms://..."
    )
    defaults: Defaults = Field(default_factory=Defaults)
    tenants: Annotated[list[Tenant], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique(self) -> TenantsFile:
        duplicates = _duplicates([tenant.id for tenant in self.tenants])
        if duplicates:
            raise ValueError("; ".join(duplicates))
        return self

    def select(self, only: Sequence[str] = ()) -> list[Tenant]:
        """The tenants to act on: all, or those named by ``--only`` (an unknown id is an error)."""
        if not only:
            return list(self.tenants)
        by_id = {tenant.id: tenant for tenant in self.tenants}
        unknown = [tenant_id for tenant_id in only if tenant_id not in by_id]
        if unknown:
            raise TenantsFileError(f"--only: no tenant {', '.join(map(repr, unknown))}; known: {', '.join(by_id)}")
        return [by_id[tenant_id] for tenant_id in dict.fromkeys(only)]


def _where(data: Any, loc: tuple[int | str, ...]) -> str:
    """``tenants[1] (id 'acme'): field secrets.ADMIN_API_KEY`` from a pydantic error location."""
    if len(loc) >= 2 and loc[0] == "tenants" and isinstance(loc[1], int):
        index = loc[1]
        label = f"tenants[{index}]"
        try:
            tenant_id = data["tenants"][index]["id"]
            if isinstance(tenant_id, str) and re.match(TENANT_ID, tenant_id):
                label += f" (id {tenant_id!r})"
        except (KeyError, IndexError, TypeError):
            pass
        rest = [str(part) for part in loc[2:]]
        return f"{label}: field {'.'.join(rest)}" if rest else label
    return f"field {'.'.join(str(part) for part in loc)}" if loc else "(top level)"


def _duplicates(ids: Sequence[str]) -> list[str]:
    """One line per id seen before, ignoring case (stack config files live side by side)."""
    seen: dict[str, str] = {}
    lines = []
    for tenant_id in ids:
        folded = tenant_id.lower()
        if folded in seen:
            lines.append(f"duplicate tenant id {tenant_id!r} (also {seen[folded]!r}); each id is one stack")
        else:
            seen[folded] = tenant_id
    return lines


def _items(data: Any) -> list[Any]:
    items = data.get("tenants") if isinstance(data, dict) else None
    return items if isinstance(items, list) else []


def _raw_id(item: Any) -> str | None:
    """A tenant's id when it is a valid one (anything else may be a pasted value: never shown)."""
    tenant_id = item.get("id") if isinstance(item, dict) else None
    return tenant_id if isinstance(tenant_id, str) and re.match(TENANT_ID, tenant_id) else None


def _valid_alone(data: Any) -> list[Tenant]:
    """The tenants of a file that failed validation which are valid on their own (to check them further)."""
    valid = []
    for item in _items(data):
        try:
            valid.append(Tenant.model_validate(item))
        except ValidationError:
            continue
    return valid


def _unknown_agent_types(data: Any, known: Sequence[str], source: str) -> list[str]:
    lines = []
    for index, item in enumerate(_items(data)):
        agent_type = item.get("agent_type") if isinstance(item, dict) else None
        if isinstance(agent_type, str) and agent_type and agent_type not in known:
            tenant_id = _raw_id(item)
            label = f"tenant {tenant_id!r}" if tenant_id else f"tenants[{index}]"
            lines.append(f"{source}: {label}: unknown agent type {agent_type!r}; known: {', '.join(sorted(known))}")
    return lines


def survey_tenants(
    data: Any, *, source: str = "tenants file", agent_types_path: Path = DEFAULT_CONFIG_PATH
) -> tuple[TenantsFile | None, list[Tenant], list[str]]:
    """Every mistake of the parsed YAML at once (fields, duplicate ids, unknown agent types): the file (``None`` if
    invalid), the tenants valid on their own with a known agent type (for further checks), and the problems."""
    problems: list[str] = []
    parsed: TenantsFile | None = None
    try:
        parsed = TenantsFile.model_validate(data)
        tenants = list(parsed.tenants)
    except ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False)
        problems += [f"{source}: {_where(data, tuple(error['loc']))}: {error['msg']}" for error in errors]
        tenants = _valid_alone(data)
        if all(error["loc"] for error in errors):  # a field failed, so the duplicate check (after them) never ran
            ids = [tenant_id for tenant_id in map(_raw_id, _items(data)) if tenant_id]
            problems += [f"{source}: {line}" for line in _duplicates(ids)]
    try:
        known = sorted(load_agent_types(agent_types_path).agent_types)
    except ConfigError as exc:
        return parsed, [], [*problems, str(exc)]
    problems += _unknown_agent_types(data, known, source)
    return parsed, [tenant for tenant in tenants if tenant.agent_type in known], problems


def parse_tenants(
    data: Any, *, source: str = "tenants file", agent_types_path: Path = DEFAULT_CONFIG_PATH
) -> TenantsFile:
    """Validate parsed YAML; every mistake (fields, duplicates, unknown agent types) in one ``TenantsFileError``."""
    parsed, _, problems = survey_tenants(data, source=source, agent_types_path=agent_types_path)
    if problems or parsed is None:
        raise TenantsFileError("\n".join(problems))
    return parsed


MERGE_TAG = "tag:yaml.org,2002:merge"


class _DuplicateKey(Exception):
    def __init__(self, key: Any, line: int) -> None:
        super().__init__(key)
        self.key, self.line = key, line


def _unique_keys_loader() -> Any:
    """A safe loader that refuses a key given twice in one mapping: YAML keeps the last, so a tenant's second
    ``config:`` or ``secrets:`` silently replaced the first. Keys a merge (``<<: *base``) brings may be overridden."""
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            if isinstance(node, yaml.MappingNode):
                seen: set[Any] = set()
                for key_node, _ in node.value:
                    if key_node.tag == MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
                        continue
                    key = self.construct_object(key_node, deep=True)
                    if key in seen:
                        raise _DuplicateKey(key, key_node.start_mark.line + 1)
                    seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return UniqueKeyLoader


def read_tenants(path: Path) -> Any:
    """The tenants file's YAML (JSON is YAML too), not yet validated."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TenantsFileError(f"{path}: cannot read the tenants file ({exc.strerror})") from exc
    try:
        return yaml.load(text, Loader=_unique_keys_loader())  # a SafeLoader
    except _DuplicateKey as exc:
        raise TenantsFileError(
            f"{path}: key {exc.key!r} is given twice in one mapping (line {exc.line}; YAML would keep only the last)"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise TenantsFileError(f"{path}: not valid YAML{where}") from exc


def load_tenants(path: Path, *, agent_types_path: Path = DEFAULT_CONFIG_PATH) -> TenantsFile:
    """Read and validate a tenants file (YAML; JSON is YAML too)."""
    return parse_tenants(read_tenants(path), source=str(path), agent_types_path=agent_types_path)


def tenants_schema() -> dict[str, Any]:
    schema = TenantsFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "agentic-memory tenants file"
    return schema


def tenants_schema_text() -> str:
    """The committed ``config/tenants.schema.json``; a test fails when the model and the file drift."""
    return json.dumps(tenants_schema(), indent=2, sort_keys=True) + "\n"


__all__ = [
    "OVERRIDE_KEYS",
    "SCHEMA_PATH",
    "Defaults",
    "Tenant",
    "TenantsFile",
    "load_tenants",
    "parse_tenants",
    "read_tenants",
    "survey_tenants",
    "tenants_schema",
    "tenants_schema_text",
]
