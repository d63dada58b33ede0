"""The memory port (``MemoryStore``), its backends and the policy on top (``MemoryManager``)."""

from shared.memory.models import Memory, ScoredMemory
from shared.memory.store import MemoryStore

__all__ = ["Memory", "MemoryStore", "ScoredMemory"]
