"""From the original system's environment to an ``agent_types.json`` entry (backward-compatible migration).

The original (one AWS SAM app, three Lambdas) was configured only by environment variables and template
parameters (``original-system.md`` §1.1). What they said, and what they become:

- ``ELEVENLABS_WORKSPACE_KEY`` present: ``/client-data`` and ``/retrieve`` are served, authenticated by the
  ``X-Workspace-Key`` header (the original checked neither at HEAD); absent: both are disabled, since the new
  service never serves an endpoint without its secret.
- ``ELEVENLABS_HMAC_KEY`` present: ``/post-call`` is served behind ``ElevenLabs-Signature``; absent: disabled.
- ``MEM0_SEARCH_LIMIT``: the tool's ``search_limit`` (default 3, as in the original).
- ``MEM0_API_KEY``: deploy with ``MEMORY_BACKEND=mem0`` (a deployment setting, not part of the file).
- ``MEM0_ORG_ID``, ``MEM0_PROJECT_ID``, ``MEM0_DIR``, ``S3_BUCKET_NAME``: obsolete; ``MEM0_TIMEOUT`` (read but
  never used) becomes ``MEM0_READ_TIMEOUT``.

Secret values are only tested for presence: they never appear in the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from shared.config.models import AgentType, AgentTypesFile
from shared.errors import ConfigError

DEFAULT_NAME = "elevenlabs_customer_support"

#: The SAM template's parameter names, accepted as spellings of the environment variables they filled.
TEMPLATE_PARAMETERS = {
    "Mem0ApiKey": "MEM0_API_KEY",
    "Mem0OrgId": "MEM0_ORG_ID",
    "Mem0ProjectId": "MEM0_PROJECT_ID",
    "ElevenLabsWorkspaceKey": "ELEVENLABS_WORKSPACE_KEY",
    "ElevenLabsHmacKey": "ELEVENLABS_HMAC_KEY",
}
OBSOLETE = {
    "MEM0_ORG_ID": "obsolete in mem0ai 2.x (the API key identifies the project); dropped",
    "MEM0_PROJECT_ID": "obsolete in mem0ai 2.x (the API key identifies the project); dropped",
    "MEM0_DIR": "not needed: the service never imports mem0ai at run time; dropped",
    "S3_BUCKET_NAME": "each stack creates its own private archive bucket; expire the old bucket, whose keys "
    "hold phone numbers",
    "MEM0_TIMEOUT": "was read but never used; set MEM0_READ_TIMEOUT (seconds) on the stack instead",
}
_NAME_PATTERN = (
    r"(?i:\bmy name is|\bmy name's|\bthis is|\bi am|\bi'm|\bcall me)\s+(?P<value>[A-Z][a-z]+(?:[ -][A-Z][a-z]+)?)\b"
)


@dataclass(frozen=True)
class Migration:
    name: str
    agent_type: AgentType
    secrets: list[str]
    settings: dict[str, str]
    notes: list[str] = field(default_factory=list)

    def document(self, existing: AgentTypesFile | None = None, *, replace: bool = False) -> dict[str, Any]:
        """The whole file: the existing one with this entry added (or replaced), else a new one.

        Raises ``ConfigError`` if the name exists and ``replace`` is not set.
        """
        entries: dict[str, Any] = {}
        schema = "./agent_types.schema.json"
        if existing is not None:
            if self.name in existing.agent_types and not replace:
                raise ConfigError(f"agent type {self.name!r} already exists; choose another name or replace it")
            entries = {
                name: agent.model_dump(mode="json", exclude_unset=True) for name, agent in existing.agent_types.items()
            }
            schema = existing.schema_ or schema
        entries[self.name] = self.agent_type.model_dump(mode="json", exclude_unset=True)
        document = {"$schema": schema, "version": 1, "agent_types": entries}
        AgentTypesFile.model_validate(document)
        return document


def normalize_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """Environment variables, with the SAM template's parameter names mapped to them; empty values dropped."""
    env = {TEMPLATE_PARAMETERS.get(name, name): value for name, value in environ.items()}
    return {name: value for name, value in env.items() if value and value.strip()}


def _search_limit(env: Mapping[str, str]) -> int:
    raw = env.get("MEM0_SEARCH_LIMIT", "3").strip()
    try:
        limit = int(raw)
    except ValueError:
        raise ConfigError("MEM0_SEARCH_LIMIT must be a whole number (the original's default is 3)") from None
    if not 1 <= limit <= 50:
        raise ConfigError("MEM0_SEARCH_LIMIT must be between 1 and 50")
    return limit


def migrate_environment(environ: Mapping[str, str], *, name: str = DEFAULT_NAME) -> Migration:
    """Raises ``ConfigError`` when the environment is not the original system's or holds an invalid value."""
    env = normalize_environment(environ)
    workspace = "ELEVENLABS_WORKSPACE_KEY" in env
    hmac_key = "ELEVENLABS_HMAC_KEY" in env
    if not (workspace or hmac_key):
        raise ConfigError(
            "neither ELEVENLABS_WORKSPACE_KEY nor ELEVENLABS_HMAC_KEY is set: this is not the original system's "
            "environment (pass its variables, or an --env-file with them)"
        )
    notes = [f"{variable}: {why}" for variable, why in OBSOLETE.items() if variable in env]
    if not workspace:
        notes.append(
            "ELEVENLABS_WORKSPACE_KEY is not set: /client-data and /retrieve are disabled (the new service never "
            "serves them unauthenticated); set the secret and enable them in 'webhooks'"
        )
    else:
        notes.append(
            "/client-data and /retrieve now require the X-Workspace-Key header: add it as a secret header to the "
            "ElevenLabs conversation-initiation webhook and to the search_memory tool"
        )
    if not hmac_key:
        notes.append("ELEVENLABS_HMAC_KEY is not set: /post-call is disabled until the secret is set")
    notes.append(
        "the agent's system prompt is no longer replaced: memory arrives in the dynamic variables caller_name, "
        "memory_count, memory_summary, returning_caller (always all of them) and memory_context"
    )
    settings: dict[str, str] = {}
    secrets = [
        s for s, present in (("ELEVENLABS_WORKSPACE_KEY", workspace), ("ELEVENLABS_HMAC_KEY", hmac_key)) if present
    ]
    if "MEM0_API_KEY" in env:
        settings["MEMORY_BACKEND"] = "mem0"
        secrets.append("MEM0_API_KEY")
    else:
        notes.append("MEM0_API_KEY is not set: the embedded store (MEMORY_BACKEND=sqlite) will be used")
    secrets.append("ADMIN_API_KEY")
    notes.append("ADMIN_API_KEY is new: generate one (it must differ from every other secret)")
    raw = {
        "description": "Migrated from the original ElevenLabs + Mem0 deployment (same paths and headers).",
        "provider": "elevenlabs",
        "webhooks": {
            "client_data": workspace,
            "retrieve": workspace,
            "post_call": hmac_key,
            "ingest_events": ["post_call_transcription"],
        },
        "memory": {
            "types": ["factual", "semantic"],
            "retention_days": {"default": 365},
            "search_limit": _search_limit(env),
            "context_limit": 5,
            "auto_extract": {
                "caller_name": {
                    "kind": "name",
                    "fields": ["caller_name", "customer_name", "name", "full_name", "first_name"],
                    "patterns": [_NAME_PATTERN],
                },
                "account_status": {
                    "kind": "keyword",
                    "fields": ["account_status", "tier"],
                    "keywords": ["vip", "premium", "gold", "silver", "basic"],
                },
            },
        },
        "response": {
            "format": "elevenlabs_v1",
            "first_message": {
                "new": "Hello! How may I help you today?",
                "returning": "Hello {caller_name}! How can I assist you today?",
                "returning_unnamed": "Welcome back! How can I assist you today?",
            },
        },
    }
    try:
        agent_type = AgentType.model_validate(raw)
        AgentTypesFile.model_validate({"agent_types": {name: raw}})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)
        )
        raise ConfigError(f"the migrated agent type {name!r} is invalid: {problems}") from exc
    return Migration(name=name, agent_type=agent_type, secrets=secrets, settings=settings, notes=notes)


def read_env_file(path: str | Path) -> dict[str, str]:
    """``KEY=VALUE`` lines (``export`` prefixes, quotes and ``#`` comments allowed), as a shell or SAM would read them.

    Raises ``ConfigError`` naming the file and line (never its content) for a line that is not an assignment.
    """
    file = Path(path)
    try:
        lines = file.read_text().splitlines()
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read the environment file ({exc.strerror})") from exc
    env: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        text = text.removeprefix("export ").strip()
        key, sep, value = text.partition("=")
        key = key.strip()
        if not sep or not key.replace("_", "").isalnum():
            raise ConfigError(f"{file}: line {number} is not a KEY=VALUE assignment")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[key] = value
    return env
