"""The agent-type configuration. ``extra="forbid"`` everywhere: a misspelt key is an error, not a default.

Blocks a provider can default (``auth``, ``webhooks``, ``field_mappings``) may be left out; the provider's
defaults are filled in by ``shared.providers`` when the agent type is resolved, so the file stays short and
a new provider brings its own defaults.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ProviderName = Literal["elevenlabs", "vapi", "retell", "generic"]
SecretName = Literal[
    "ELEVENLABS_WORKSPACE_KEY",
    "ELEVENLABS_HMAC_KEY",
    "VAPI_SECRET",
    "RETELL_API_KEY",
    "GENERIC_API_KEY",
    "ADMIN_API_KEY",
    "PSEUDONYMIZATION_KEY",
]  # never CALLER_REF_KEY: a platform holding the stack's key could compute every caller's reference
AuthScheme = Literal["header", "bearer_or_header", "elevenlabs_hmac", "retell_signature", "hmac"]
Endpoint = Literal["client_data", "retrieve", "post_call"]
ENDPOINTS: tuple[Endpoint, ...] = ("client_data", "retrieve", "post_call")

_TYPE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HmacOptions(_Model):
    """A configurable HMAC credential (Vapi's HMAC plan): which headers, algorithm, message and encoding."""

    algorithm: Literal["sha256", "sha512", "sha1"] = "sha256"
    signature_header: str = "x-signature"
    timestamp_header: str | None = "x-timestamp"
    signature_prefix: str = ""
    payload_format: str = "{timestamp}.{body}"
    encoding: Literal["hex", "base64"] = "hex"
    secret_is_base64: bool = False

    @model_validator(mode="after")
    def _could_verify(self) -> HmacOptions:
        """Refused here, so ``config validate`` says it, not only the service when it starts."""
        unsupported = re.search(r"\{(method|url|svix-id)\}", self.payload_format)
        if unsupported:
            raise ValueError(f"payload_format placeholder {unsupported.group(0)} is not supported")
        if "{timestamp}" in self.payload_format and not self.timestamp_header:
            raise ValueError("payload_format uses {timestamp} but no timestamp_header is configured")
        return self


class EndpointAuth(_Model):
    """How one endpoint authenticates: a scheme, its header and the secret's name (never its value)."""

    scheme: AuthScheme
    header: str | None = None
    secret: SecretName
    max_age_seconds: Annotated[int, Field(ge=1, le=86_400)] = 300
    max_future_seconds: Annotated[int, Field(ge=0, le=86_400)] = 300
    hmac: HmacOptions | None = None

    @model_validator(mode="after")
    def _scheme_needs(self) -> EndpointAuth:
        if self.scheme in ("header", "bearer_or_header") and not self.header:
            raise ValueError(f"scheme {self.scheme!r} needs a 'header'")
        if self.scheme == "hmac" and self.hmac is None:
            raise ValueError("scheme 'hmac' needs an 'hmac' block")
        return self


class AuthConfig(_Model):
    client_data: EndpointAuth | None = None
    retrieve: EndpointAuth | None = None
    post_call: EndpointAuth | None = None


class WebhooksConfig(_Model):
    """Which endpoints this agent type serves and which post-call event types become memories."""

    client_data: bool = True
    retrieve: bool = True
    post_call: bool = True
    ingest_events: list[str] = Field(default_factory=list)
    max_body_bytes: Annotated[int, Field(ge=1024, le=10 * 1024 * 1024)] = 1024 * 1024
    # a post-call event carries the whole conversation (every turn with its metrics, tool results): a long call
    # passes 1 MiB, and a 413 there is a caller forgotten. 5 MiB stays under Lambda's 6 MB request limit.
    max_post_call_bytes: Annotated[int, Field(ge=1024, le=10 * 1024 * 1024)] = 5 * 1024 * 1024


FieldPaths = Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]


# The normalized fields each hook reads (``shared.providers``): a name outside these is mapped for nothing.
MAPPED_FIELDS: dict[str, frozenset[str]] = {
    "client_data": frozenset({"caller_id", "client_user_id", "call_id", "agent_id"}),
    "retrieve": frozenset({"caller_id", "client_user_id", "query", "conversation_id"}),
    "post_call": frozenset({"caller_id", "client_user_id", "conversation_id", "event", "summary", "started_at"})
    | {"fields", "transcript", "outcome"},
}


class FieldMappings(_Model):
    """Dot paths (``a.b.0.c``) tried in order for each normalized field, per hook; missing keys keep defaults."""

    client_data: dict[str, FieldPaths] = Field(default_factory=dict)
    retrieve: dict[str, FieldPaths] = Field(default_factory=dict)
    post_call: dict[str, FieldPaths] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _fields_known(self) -> FieldMappings:
        """A misspelt field (``caler_id``) was accepted and mapped nothing: the hook kept reading its default path."""
        for hook, known in MAPPED_FIELDS.items():
            unknown = sorted(set(getattr(self, hook)) - known)
            if unknown:
                raise ValueError(
                    f"{hook}: {', '.join(map(repr, unknown))} is not a field this hook reads; known: "
                    f"{', '.join(sorted(known))}"
                )
        return self


class AutoExtractRule(_Model):
    """A caller attribute shown before the call: from structured fields first, then (optionally) patterns.

    A pattern must have a named group ``value``; a match is kept only if it passes ``kind``'s checks, so a
    fallback returns nothing rather than a wrong value.
    """

    fields: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    kind: Literal["name", "text", "keyword"] = "text"
    keywords: list[str] = Field(default_factory=list)

    @field_validator("patterns")
    @classmethod
    def _compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from exc
            if "value" not in compiled.groupindex:
                raise ValueError(f"pattern {pattern!r} needs a named group (?P<value>...)")
        return patterns


class RankingConfig(_Model):
    """How ``/retrieve`` orders a caller's memories (``shared.memory.ranking``); the defaults are measured in
    ``benchmarks/bench_recall.py`` (docs/recall.md, docs/recall-evaluation.md)."""

    lexical_weight: Annotated[float, Field(ge=0, le=1)] = 0.2
    semantic_weight: Annotated[float, Field(ge=0, le=1)] = Field(
        default=0.6, description="Weight of the whole text's meaning (cosine of the two texts' vectors)."
    )
    word_weight: Annotated[float, Field(ge=0, le=1)] = Field(
        default=0.15, description="Weight of word-against-word meaning: each query word's closest memory word."
    )
    recency_weight: Annotated[float, Field(ge=0, le=1)] = 0.05
    recency_half_life_days: Annotated[float, Field(gt=0, le=36_500)] = 180.0
    semantic_floor: Annotated[float, Field(ge=0, lt=1)] = Field(
        default=0.5, description="Cosine that unrelated texts reach; meaning counts only above it."
    )
    word_floor: Annotated[float, Field(ge=0, lt=1)] = Field(
        default=0.5, description="Cosine that two unrelated words reach; a word's match counts only above it."
    )
    min_score: Annotated[float, Field(ge=0, le=2)] = Field(
        default=0.14, description="Results scoring below are not returned: an unrelated question gets nothing."
    )
    contrast_similarity: Annotated[float, Field(ge=0, lt=1)] = Field(
        default=0.4,
        description="A memory naming another kind of what is asked ('term life insurance' for 'pet insurance') is "
        "not returned when the two words before the shared noun are less alike than this; 0 turns that off.",
    )
    closest_limit: Annotated[int, Field(ge=0, le=10)] = Field(
        default=1,
        description="When nothing reaches min_score, return up to this many memories closest in meaning to the "
        "question if they stand out from the caller's others (closest_margin); 0: return nothing then.",
    )
    closest_margin: Annotated[float, Field(ge=0, le=1)] = Field(
        default=0.06,
        description="How far above the median cosine of the caller's memories the closest one must be.",
    )
    alike_gap: Annotated[float, Field(ge=0, lt=1)] = Field(
        default=0.04,
        description="When fewer than search_limit memories reach min_score, also return those whose cosine with the "
        "question is within this of the closest answer's; 0 turns that off.",
    )
    recency_tie: Annotated[float, Field(ge=0, lt=1)] = Field(
        default=0.02,
        description="Answers whose scores are within this of the one above them are ordered newest first; 0: by "
        "score alone.",
    )
    answer_kind_weight: Annotated[float, Field(ge=0, le=1)] = Field(
        default=0.15,
        description="Added to the score of an answer stating the kind of value the question asks for (an address "
        "for 'where does she live', a span of time for 'how long', a date, an amount, an age); 0 turns that off.",
    )


class MemoryConfig(_Model):
    types: Annotated[list[str], Field(min_length=1)] = Field(default_factory=lambda: ["factual", "semantic"])
    summary_type: str = "factual"
    transcript_type: str = "semantic"
    field_types: dict[str, str] = Field(default_factory=dict)
    default_field_type: str = "factual"
    retention_days: dict[str, Annotated[int, Field(ge=1, le=36_500, strict=True)]] = Field(
        default_factory=lambda: {"default": 365}
    )
    search_limit: Annotated[int, Field(ge=1, le=50)] = 3
    context_limit: Annotated[int, Field(ge=0, le=50)] = 5
    context_fields: Annotated[int, Field(ge=0, le=100)] = Field(
        default=12,
        description="Collected fields listed in the pre-call context (each once, current value first; the most "
        "recently collected first). A field collected long ago (a policy number, an address) is still current.",
    )
    auto_extract: dict[str, AutoExtractRule] = Field(default_factory=dict)
    store_caller_turns: bool = True
    semantic_search: bool = Field(
        default=True,
        description="Rank by meaning as well as words: memories get a vector from the bundled static embedding "
        "model when written (docs/recall.md). Off: words, recency and current-facts-first only.",
    )
    ranking: RankingConfig = Field(default_factory=RankingConfig)
    archive_retention_days: Annotated[int, Field(ge=1, le=36_500, strict=True)] | None = Field(
        default=None,
        description="Days the raw post-call bodies stay in the archive for replay; the sweep deletes older ones. "
        "Default: the longest memory retention of this agent type (a replay could not add anything older).",
    )

    @field_validator("types")
    @classmethod
    def _type_names(cls, types: list[str]) -> list[str]:
        for name in types:
            if not _TYPE_NAME.match(name):
                raise ValueError(f"memory type {name!r} must be lowercase letters, digits and '_'")
        if len(set(types)) != len(types):
            raise ValueError("memory types must be unique")
        return types

    @model_validator(mode="after")
    def _types_known(self) -> MemoryConfig:
        known = set(self.types)
        used = {
            "summary_type": [self.summary_type],
            "transcript_type": [self.transcript_type],
            "default_field_type": [self.default_field_type],
            "field_types": list(self.field_types.values()),
            "retention_days": [k for k in self.retention_days if k != "default"],
        }
        for where, names in used.items():
            for name in names:
                if name not in known:
                    raise ValueError(f"{where}: memory type {name!r} is not in types {sorted(known)}")
        return self

    def retention_for(self, memory_type: str) -> int:
        return self.retention_days.get(memory_type, self.retention_days.get("default", 365))

    def longest_retention(self) -> int:
        """Days the longest-kept memory type is kept."""
        return max([self.retention_for(name) for name in self.types] + list(self.retention_days.values()))

    def archive_retention(self) -> int:
        """Days an archived event is kept: configured, else the longest retention of any memory type."""
        if self.archive_retention_days is not None:
            return self.archive_retention_days
        return self.longest_retention()

    def erasure_retention(self) -> int:
        """Days an erasure record is kept: as long as an archived event, and never shorter than the longest memory
        retention, since a memory of a call before the erasure (an export read back by ``memories import``) could be
        live until then, and the record is what keeps it from bringing the caller back."""
        return max(self.archive_retention(), self.longest_retention())


class FirstMessages(_Model):
    """Greeting templates; ``{caller_first_name}``, ``{caller_name}`` and any auto-extracted field can be used."""

    new: str = "Hello! How may I help you today?"
    returning: str = "Hello {caller_first_name}! Welcome back. How can I assist you today?"
    returning_unnamed: str = "Welcome back! How can I assist you today?"


class ResponseConfig(_Model):
    format: Literal["elevenlabs_v1", "vapi_v1", "retell_v1", "generic_v1"] | None = None
    first_message: FirstMessages = Field(default_factory=FirstMessages)
    send_first_message: bool = True
    prompt_override: str | None = Field(
        default=None,
        description="Replaces the agent's whole system prompt when set (ElevenLabs). Leave null to deliver "
        "memory only through dynamic variables that the agent's own prompt references ({{memory_context}}).",
    )
    assistant_id: str | None = Field(default=None, description="Vapi: the saved assistant to answer with.")
    static_variables: dict[str, str] = Field(default_factory=dict)
    deadline_ms: Annotated[int, Field(ge=100, le=30_000, strict=True)] | None = Field(
        default=None,
        description="Time the pre-call may spend reading and ranking the caller's memories; past it the answer goes "
        "out as a new caller's (memory_status 'degraded'). Default: the platform's (ElevenLabs 1000, Vapi 5000, "
        "Retell 8000, generic 3000), under the time each waits for the answer.",
    )


class IdentityConfig(_Model):
    default_region: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "US"
    pseudonymize: bool = Field(
        default=False,
        description="Store memories under a keyed hash of the caller id (secret PSEUDONYMIZATION_KEY).",
    )

    @field_validator("default_region")
    @classmethod
    def _region_known(cls, region: str) -> str:
        """A region phone numbers have: 'UK' (for GB) or 'XX' refused every caller dialling a national number."""
        import phonenumbers

        if region not in phonenumbers.SUPPORTED_REGIONS:
            hint = " (the United Kingdom is 'GB')" if region == "UK" else ""
            raise ValueError(f"{region!r} is not a region phone numbers are known for{hint}; use an ISO 3166 code")
        return region


DEFAULT_TOPICS: dict[str, list[str]] = {
    "billing": ["bill", "payment", "charge", "cost", "price", "invoice"],
    "technical": ["issue", "problem", "error", "bug", "broken", "not working"],
    "account": ["account", "login", "password", "profile", "settings"],
    "product": ["product", "service", "feature", "order", "purchase"],
    "support": ["help", "support", "assist", "question", "contact"],
}


class AnalyticsConfig(_Model):
    """How analytics read the memories: topic keywords (the original design's table by default) and levels."""

    topics: dict[str, Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]] = Field(
        default_factory=lambda: {name: list(words) for name, words in DEFAULT_TOPICS.items()},
        description="Topic -> keywords. A memory mentions a topic when a keyword starts a word of its text "
        "(case-insensitive, so 'bill' matches 'billing' but 'issue' does not match 'tissue').",
    )
    top_topics: Annotated[int, Field(ge=1, le=50)] = 5
    top_callers: Annotated[int, Field(ge=1, le=100)] = 5
    engagement_medium_calls: Annotated[int, Field(ge=1)] = 2
    engagement_high_calls: Annotated[int, Field(ge=2)] = 5
    trend_window_days: Annotated[int, Field(ge=1, le=365)] = 30

    @model_validator(mode="after")
    def _levels_ordered(self) -> AnalyticsConfig:
        if self.engagement_high_calls <= self.engagement_medium_calls:
            raise ValueError("engagement_high_calls must be greater than engagement_medium_calls")
        return self


ExperimentName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
ProcessorName = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_.\-]{0,79}$")]
Overrides = Annotated[
    dict[str, Any],
    Field(description="A partial agent type laid over this one's settings (objects merge, other values replace)."),
]


class Variant(_Model):
    weight: Annotated[float, Field(ge=0, le=1_000_000)] = Field(
        description="Relative share of callers (weights need not sum to 100)."
    )
    overrides: Overrides = Field(default_factory=dict)


class Experiment(_Model):
    """Named variants with weights; each caller gets one, sticky (a keyed hash of the caller id)."""

    description: str = ""
    variants: Annotated[dict[ExperimentName, Variant], Field(min_length=2)] = Field(
        description="In this order the variants take consecutive ranges of the callers' hash values."
    )

    @model_validator(mode="after")
    def _some_weight(self) -> Experiment:
        if sum(v.weight for v in self.variants.values()) <= 0:
            raise ValueError("variant weights must sum to more than zero")
        return self


class Rollout(_Model):
    """A behaviour turned on for ``percent`` of callers by the same hash; raising it only adds callers."""

    description: str = ""
    percent: Annotated[float, Field(ge=0, le=100)]
    overrides: Annotated[Overrides, Field(min_length=1)]


class ProcessorsConfig(_Model):
    """Processor plugins (entry points ``agentic_memory.processors``), by name, run in this order."""

    post_call: list[ProcessorName] = Field(
        default_factory=list, description="Add, redact or drop a call's memories before they are stored."
    )
    pre_call: list[ProcessorName] = Field(
        default_factory=list, description="Adjust the pre-call context; skipped when slower than the budget."
    )
    pre_call_budget_ms: Annotated[int, Field(ge=1, le=5000)] = Field(
        default=150, description="Time all pre-call processors together may take before the answer goes without them."
    )
    post_call_timeout_s: Annotated[int, Field(ge=1, le=600)] = Field(
        default=60,
        description="Time one post-call processor may take on an event before the event fails (retried, then "
        "dead-lettered) rather than hold the worker.",
    )


class AgentType(_Model):
    description: str = ""
    provider: ProviderName
    auth: AuthConfig | None = None
    webhooks: WebhooksConfig | None = None
    field_mappings: FieldMappings = Field(default_factory=FieldMappings)
    memory: MemoryConfig = Field(default_factory=MemoryConfig)
    response: ResponseConfig = Field(default_factory=ResponseConfig)
    identity: IdentityConfig = Field(default_factory=IdentityConfig)
    analytics: AnalyticsConfig = Field(default_factory=AnalyticsConfig)
    processors: ProcessorsConfig = Field(default_factory=ProcessorsConfig)
    experiments: dict[ExperimentName, Experiment] = Field(default_factory=dict)
    rollouts: dict[ExperimentName, Rollout] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _templates_known(self) -> AgentType:
        """Each greeting names only variables the pre-call fills: auto-extracted fields and the caller's name."""
        from shared.config.templates import template_problem

        for kind, template in self.response.first_message.model_dump().items():
            if problem := template_problem(template, self.memory.auto_extract):
                raise ValueError(f"response.first_message.{kind}: {problem}")
        return self

    @model_validator(mode="after")
    def _overrides_valid(self) -> AgentType:
        """Each variant's and rollout's overrides, alone and all together, must give a valid agent type."""
        from shared.config.overrides import forbidden, merge

        patches = [
            (f"experiments.{name}.variants.{variant}.overrides", spec.overrides)
            for name, experiment in self.experiments.items()
            for variant, spec in experiment.variants.items()
        ] + [(f"rollouts.{name}.overrides", rollout.overrides) for name, rollout in self.rollouts.items()]
        if not patches:
            return self
        if set(self.experiments) & set(self.rollouts):
            raise ValueError("an experiment and a rollout may not share a name")
        base = self.model_dump(exclude={"experiments", "rollouts"})
        for where, patch in patches:
            if bad := forbidden(patch):
                raise ValueError(f"{where}: {', '.join(bad)} cannot vary per caller")
            try:
                AgentType.model_validate(merge(base, patch), strict=True)  # as strict as the file (loader)
            except ValueError as exc:
                raise ValueError(f"{where}: {first_error(exc)}") from None
        return self

    def with_overrides(self, patches: list[dict[str, Any]]) -> AgentType:
        """This agent type with the patches laid over it in order (no experiments left: it is one caller's)."""
        from shared.config.overrides import merge

        merged = self.model_dump(exclude={"experiments", "rollouts"})
        for patch in patches:
            merged = merge(merged, patch)
        return AgentType.model_validate(merged)


def first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        error = errors(include_input=False, include_url=False)[0]
        return f"field {'.'.join(str(p) for p in error['loc']) or '(top level)'}: {error['msg']}"
    return str(exc)


AGENT_TYPE_NAME = r"^[a-z][a-z0-9_]{0,62}$"


class AgentTypesFile(_Model):
    schema_: str | None = Field(default=None, alias="$schema")
    version: Literal[1] = 1
    agent_types: dict[Annotated[str, Field(pattern=AGENT_TYPE_NAME)], AgentType] = Field(min_length=1)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
