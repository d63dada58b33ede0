"""Processor plugins: code a team installs beside the service to turn calls into memories its own way.

A plugin is a distribution that declares entry points in the group ``agentic_memory.processors``; each names a
class (or zero-argument factory) whose instance has ``post_call(call: PostCall) -> list[Memory]`` (add, redact
or drop the call's memories before they are stored), ``pre_call(call: PreCall) -> CallerContext`` (adjust what
the agent hears before the call), or both. An agent type enables processors by name, per stage, in order.
"""

from shared.processors.base import ENTRY_POINT_GROUP, PostCall, PreCall, ProcessorFailed
from shared.processors.runner import Processors

__all__ = ["ENTRY_POINT_GROUP", "PostCall", "PreCall", "ProcessorFailed", "Processors"]
