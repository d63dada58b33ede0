"""What a processor is given and returns. Plugins may import these names for typing; they need nothing else.

Exceptions::

    AgenticMemoryError
    └── ProcessorFailed     a post-call processor raised: the event fails, is retried, then dead-lettered
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from shared.errors import AgenticMemoryError

if TYPE_CHECKING:
    from shared.memory.models import Memory
    from shared.providers.base import CallerContext, PostCallEvent

ENTRY_POINT_GROUP = "agentic_memory.processors"
STAGES = ("post_call", "pre_call")


class ProcessorFailed(AgenticMemoryError):
    """A post-call processor failed; the worker retries the event and dead-letters it (replayable)."""


@dataclass(frozen=True)
class PostCall:
    """One call, after the service turned it into memories and before they are stored."""

    processor: str
    agent_type: str
    user_id: str
    event: PostCallEvent
    memories: list[Memory]
    memory_types: tuple[str, ...]
    _build: Callable[..., Memory] = field(repr=False)

    def new_memory(self, part: str, type: str, text: str, **metadata: Any) -> Memory:
        """A memory of this call: its id is derived from the event and ``part`` (so a replay writes it again,
        never twice), its time, conversation, variant and retention are the call's. ``type`` must be configured."""
        shown = {"source": "processor", "processor": self.processor, **metadata}
        return self._build(part=f"processor:{self.processor}:{part}", type=type, text=text, metadata=shown)


@dataclass(frozen=True)
class PreCall:
    """The pre-call answer as it stands, and the caller's live memories it was built from (newest first)."""

    processor: str
    agent_type: str
    context: CallerContext
    memories: Sequence[Memory]


class PostCallProcessor(Protocol):
    def post_call(self, call: PostCall) -> Sequence[Memory]: ...


class PreCallProcessor(Protocol):
    def pre_call(self, call: PreCall) -> CallerContext: ...
