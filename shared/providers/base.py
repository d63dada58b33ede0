"""What every provider module supplies: defaults for its agent types, parsers into the normalized shapes, and
formatters back into the platform's own wire format. Nothing platform-specific lives outside its module."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from shared.config.models import AgentType, EndpointAuth, WebhooksConfig
from shared.errors import Unprocessable
from shared.fields import FieldMapper
from shared.identity import reads_as_number
from shared.memory.models import ScoredMemory
from shared.providers.payload import require_object


class Operation(StrEnum):
    """What a request asks for, whichever route it came in on (Vapi sends everything to one URL)."""

    PRE_CALL = "pre_call"
    TOOL = "tool"
    POST_CALL = "post_call"
    IGNORE = "ignore"


@dataclass(frozen=True)
class PreCallRequest:
    caller: str | None
    call_id: str | None = None
    agent_id: str | None = None


@dataclass(frozen=True)
class ToolCall:
    query: str
    call_id: str | None = None
    name: str | None = None

    @property
    def asks(self) -> bool:
        """Whether the query holds a letter or digit: "?" or "..." asks nothing, as an empty one does, and gets the
        same guidance rather than the caller's closest memories."""
        return any(character.isalnum() for character in self.query)


@dataclass(frozen=True)
class ToolRequest:
    caller: str | None
    calls: list[ToolCall]
    conversation_id: str | None = None


@dataclass(frozen=True)
class PostCallEvent:
    """A post-call event in one shape. ``ingest`` is False for event types acknowledged but not remembered."""

    idempotency_key: str
    event_type: str
    ingest: bool
    caller: str | None = None
    conversation_id: str | None = None
    occurred_at: datetime | None = None
    summary: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    caller_turns: list[str] = field(default_factory=list)
    outcome: str | None = None

    def received(self, at: datetime) -> PostCallEvent:
        """The event as received at ``at``: a call cannot have taken place later. A time in the future (a
        platform's clock, a mistyped test payload) would keep its memories past their retention and make them
        the newest facts for years."""
        if self.occurred_at is None or self.occurred_at <= at:
            return self
        return replace(self, occurred_at=at)


MEMORY_VARIANT = "memory_variant"
MEMORY_STATUS = "memory_status"


@dataclass(frozen=True)
class PlatformEcho:
    """What the platform sends back after the call of our own answers: the pre-call variables it was given and
    the results of the memory tool's calls (raw text), so outcomes are recorded without a write on the hot path."""

    variables: dict[str, str] = field(default_factory=dict)
    tool_results: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, variables: Any, tool_results: list[Any]) -> PlatformEcho:
        """From loosely typed wire values: scalar variables as text, string results (objects as JSON)."""
        shown = {
            str(name): value if isinstance(value, str) else json.dumps(value)
            for name, value in (variables.items() if isinstance(variables, dict) else ())
            if isinstance(value, str | int | float | bool)
        }
        results = [item if isinstance(item, str) else json.dumps(item) for item in tool_results if item is not None]
        return cls(shown, results)


@dataclass(frozen=True)
class CallerContext:
    """The pre-call answer before formatting: every variable present, all strings."""

    caller_id: str
    user_id: str | None
    returning: bool
    memory_count: int
    call_count: int
    summary: str
    context: str
    first_message: str
    fields: dict[str, str]
    degraded: bool = False
    variant: str = ""  # the caller's experiment variants (``experiment:variant,...``), empty without experiments
    known: bool = True  # False: no number or id identifies the caller (withheld, SIP without a user, web call)

    def variables(self) -> dict[str, str]:
        """The variables every platform gets; the original system's names are kept for existing prompts.

        ``memory_variant`` lets the platform's analytics segment by experiment; ``memory_status`` says whether
        memory was read (``degraded``: the store did not answer). Both come back in the post-call event. A
        collected field or a processor's variable of one of these names never replaces it (a data collection item
        called ``caller_id`` is not the caller's number).
        """
        own = {
            "caller_id": self.caller_id,
            "caller_known": "yes" if self.known else "no",
            "memory_count": str(self.memory_count),
            "call_count": str(self.call_count),
            "returning_caller": "yes" if self.returning else "no",
            "memory_summary": self.summary,
            "memory_context": self.context,
            MEMORY_VARIANT: self.variant,
            MEMORY_STATUS: "degraded" if self.degraded else "ok",
        }
        return {**own, **{name: value for name, value in self.fields.items() if name not in own}}


NO_MEMORIES_UNKNOWN_CALLER = (
    "No memories are available for this caller: their number is withheld or unknown, so nothing about them is "
    "remembered."
)
# the caller is known, only nothing matched: the agent must not conclude it knows nothing about them
NO_MATCHING_MEMORIES = "Nothing remembered about this caller matches that question."
# the model called the tool without a question: guidance, on every platform (an error makes Retell retry twice)
NO_QUERY = "No search query was given; ask the caller what to look up."
# the store did not answer: never "nothing matches", which the agent would take for a fact about the caller
MEMORY_UNAVAILABLE = (
    "Memory cannot be searched right now. Carry on without it, and do not tell the caller that nothing is "
    "remembered about them."
)


@dataclass(frozen=True)
class ToolAnswer:
    call: ToolCall
    matches: list[ScoredMemory]
    caller_known: bool = True
    unavailable: bool = False  # the store did not answer

    def as_text(self) -> str:
        if not self.caller_known:
            return NO_MEMORIES_UNKNOWN_CALLER
        if not self.call.asks:
            return NO_QUERY
        if self.unavailable:
            return MEMORY_UNAVAILABLE
        if not self.matches:
            return NO_MATCHING_MEMORIES
        return "\n".join(f"- {m.text}" for m in self.matches)

    def as_json(self) -> dict[str, Any]:
        return {
            "memories": [
                {
                    "text": m.text,
                    "type": m.memory.type,
                    "score": round(m.score, 4),
                    "created_at": m.memory.created_at.isoformat().replace("+00:00", "Z"),
                    **({"until": m.until.isoformat().replace("+00:00", "Z")} if m.until else {}),
                }
                for m in self.matches
            ],
            "count": len(self.matches),
            "result": self.as_text(),
        }


@dataclass(frozen=True)
class ProviderDefaults:
    auth: dict[str, EndpointAuth]
    webhooks: WebhooksConfig
    field_mappings: dict[str, dict[str, list[str]]]
    response_format: str
    # How long the memory work of a pre-call may take, under the time the platform waits for the answer
    pre_call_deadline_ms: int = 3000


WEB_PREFIX = "web:"


def client_chosen(raw: str | None) -> str | None:
    """A caller id the client chose (a web page's ``user_id``), kept apart from every phone caller: one that would
    read as a number or a SIP address becomes ``web:<id>``, so a visitor who types a victim's number neither reads
    nor writes the victim's memories. Any other id is kept as it is (a web user's memories stay where they were)."""
    if raw is None or not raw.strip():
        return None
    value = raw.strip()
    if not reads_as_number(value):
        return value
    if sum(ch.isdigit() for ch in value) < 7 and ":" not in value:  # "0", "1001": no one caller, as a platform's
        return None
    return WEB_PREFIX + "".join(ch for ch in value if ch.isalnum() or ch in "+@._-")


def caller_of(body: Any, fields: FieldMapper) -> str | None:
    """The platform's own caller id (``caller_id``), else one the client chose (``client_user_id``), namespaced."""
    return fields.text(body, "caller_id") or client_chosen(fields.text(body, "client_user_id"))


class Provider(ABC):
    """One voice platform. Instances are stateless; one is built per agent type at start-up."""

    name: ClassVar[str]
    # The post-call event types this platform sends that can become memories; None: any (a custom platform names
    # its own). Another name in ``webhooks.ingest_events`` matches no event: every call acknowledged, none remembered.
    memory_events: ClassVar[frozenset[str] | None] = None

    @classmethod
    @abstractmethod
    def defaults(cls) -> ProviderDefaults: ...

    @classmethod
    def check_events(cls, agent: AgentType) -> list[str]:
        """``webhooks.ingest_events`` of which no event can be remembered (``end_of_call_report``, a misspelling):
        every call would be answered and none kept. A name beside one that can (``post_call_audio`` beside
        ``post_call_transcription``) matches nothing and harms nothing: refusing it would stop every pre-call."""
        if cls.memory_events is None or agent.webhooks is None or not agent.webhooks.ingest_events:
            return []
        events = agent.webhooks.ingest_events
        if any(event in cls.memory_events for event in events):
            return []
        return [
            f"webhooks.ingest_events: {', '.join(map(repr, events))}: not a post-call event {cls.name} sends that "
            f"can be remembered (one of: {', '.join(sorted(cls.memory_events))}); no call would be remembered"
        ]

    @classmethod
    def check_config(cls, agent: AgentType) -> list[str]:
        """Problems with an agent type that only this platform knows about (field name: message)."""
        return []

    def operation(self, route: Operation, payload: Any) -> Operation:
        """Which operation a payload asks for; by default the route decides."""
        return route

    def parse_pre_call(self, payload: Any, fields: FieldMapper) -> PreCallRequest:
        """By default the mapped fields of a JSON object: ``caller_id``, ``call_id``, ``agent_id``."""
        body = require_object(payload)
        return PreCallRequest(
            caller=caller_of(body, fields),
            call_id=fields.text(body, "call_id"),
            agent_id=fields.text(body, "agent_id"),
        )

    @abstractmethod
    def format_pre_call(self, context: CallerContext, *, agent: AgentType) -> dict[str, Any]: ...

    def parse_tool(self, payload: Any, fields: FieldMapper) -> ToolRequest:
        """By default one search per request: a required ``query`` and the mapped (platform-bound) caller."""
        body = require_object(payload)
        query = fields.text(body, "query")
        if query is None and not fields.present(body, "query"):
            raise Unprocessable("missing field: query")  # a tool set up without it; an empty one gets NO_QUERY
        return ToolRequest(
            caller=caller_of(body, fields),
            calls=[ToolCall(query=query or "")],
            conversation_id=fields.text(body, "conversation_id"),
        )

    def format_tool(self, answers: list[ToolAnswer]) -> dict[str, Any]:
        """By default the matches as JSON with a readable ``result`` text."""
        return answers[0].as_json()

    @abstractmethod
    def parse_post_call(self, payload: Any, fields: FieldMapper, ingest_events: list[str]) -> PostCallEvent: ...

    def echo(self, payload: Any) -> PlatformEcho:
        """Our pre-call variables and tool results as the post-call event repeats them; none by default."""
        return PlatformEcho()

    def ignored(self, payload: Any) -> dict[str, Any] | bytes:
        """The answer to a message type this service does not handle: a 200 so the platform keeps the hook (bytes:
        a body that is not JSON, such as audio)."""
        return {"status": "ignored"}
