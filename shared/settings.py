"""Process settings, read once from the environment into a frozen object (the stack sets them when deployed)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shared.errors import ConfigError

# sqlite and mem0 are built by shared/memory/backends.py; the cloud databases by their cloud's ports (functions/).
MEMORY_BACKENDS = ("sqlite", "mem0", "dynamodb", "firestore")
DEFAULT_DATA_DIR = ".agentic-memory"


@dataclass(frozen=True)
class Settings:
    agent_type: str
    config_path: Path | None = None
    data_dir: Path = Path(DEFAULT_DATA_DIR)
    memory_backend: str = "sqlite"
    mem0_host: str = "https://api.mem0.ai"
    mem0_read_timeout: float = 1.5
    mem0_write_timeout: float = 10.0
    worker_max_attempts: int = 5

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {
            "agent_type": env.get("AGENT_TYPE", ""),
            "config_path": Path(env["AGENTIC_MEMORY_CONFIG"]) if env.get("AGENTIC_MEMORY_CONFIG") else None,
            "data_dir": Path(env.get("AGENTIC_MEMORY_DATA_DIR") or DEFAULT_DATA_DIR),
            "memory_backend": env.get("MEMORY_BACKEND", "sqlite") or "sqlite",
            "mem0_host": env.get("MEM0_HOST") or "https://api.mem0.ai",
        }
        for name, number in (("mem0_read_timeout", "MEM0_READ_TIMEOUT"), ("mem0_write_timeout", "MEM0_WRITE_TIMEOUT")):
            if env.get(number):
                try:
                    seconds = float(env[number])
                except ValueError as exc:
                    raise ConfigError(f"{number} must be a number of seconds") from exc
                # 0 or less answered every call "new caller"; nan and inf crashed every pre-call with a 500
                if not math.isfinite(seconds) or seconds <= 0:
                    raise ConfigError(f"{number} must be a number of seconds above 0")
                values[name] = seconds
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)  # type: ignore[arg-type]
        settings.check()
        return settings

    def check(self) -> None:
        if not self.agent_type:
            raise ConfigError("AGENT_TYPE is not set: the deployment must fix the agent type")
        if self.memory_backend not in MEMORY_BACKENDS:
            raise ConfigError(f"MEMORY_BACKEND must be one of {', '.join(MEMORY_BACKENDS)}")
