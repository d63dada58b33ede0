"""Agent types: the pydantic models of ``config/agent_types.json`` and the loader that names every mistake."""

from shared.config.loader import load_agent_type, load_agent_types
from shared.config.models import AgentType, AgentTypesFile, EndpointAuth, MemoryConfig

__all__ = ["AgentType", "AgentTypesFile", "EndpointAuth", "MemoryConfig", "load_agent_type", "load_agent_types"]
