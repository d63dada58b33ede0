"""Agent types with experiments, written as a copy of the shipped config, and a local runtime over it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shared.config.loader import DEFAULT_CONFIG_PATH
from shared.ingest.local import FileArchive, LocalWorker, SqliteQueue
from shared.runtime import build_runtime
from shared.secrets import EnvSecrets
from shared.settings import Settings
from tests.conftest import TEST_SECRETS, LocalRuntime

SECRETS = {**TEST_SECRETS, "CALLER_REF_KEY": "test-caller-ref-key-0001-experiments-0123456789"}
GREETING_B = "Hi {caller_name}, lovely to hear from you again!"

EXPERIMENT: dict[str, Any] = {
    "description": "Does a longer context and a warmer greeting bring callers back?",
    "variants": {
        "control": {"weight": 50},
        "long": {
            "weight": 50,
            "overrides": {
                "memory": {"context_limit": 1, "search_limit": 1},
                "response": {"first_message": {"returning": GREETING_B}},
            },
        },
    },
}


def write_config(
    tmp_path: Path, *, experiments: dict[str, Any] | None = None, rollouts: dict[str, Any] | None = None, **extra: Any
) -> Path:
    """Every shipped agent type gets the same experiments (and rollouts, and any other settings given)."""
    document = json.loads(DEFAULT_CONFIG_PATH.read_text())
    document.pop("$schema", None)
    for agent in document["agent_types"].values():
        if experiments is not None:
            agent["experiments"] = experiments
        if rollouts is not None:
            agent["rollouts"] = rollouts
        agent.update(extra)
    path = tmp_path / "agent_types.json"
    path.write_text(json.dumps(document, indent=2))
    return path


def local_runtime(config: Path, data_dir: Path, agent_type: str = "elevenlabs_customer_support") -> LocalRuntime:
    settings = Settings.from_environ({}, agent_type=agent_type, data_dir=data_dir, config_path=config)
    queue = SqliteQueue(data_dir / "queue.db")
    runtime = build_runtime(
        settings, secrets=EnvSecrets(SECRETS), archive=FileArchive(data_dir / "archive"), queue=queue
    )
    worker = LocalWorker(queue, runtime.worker.process, max_attempts=3, backoff_seconds=0)
    return LocalRuntime(runtime, queue, worker, data_dir)
