"""A tenant's Pulumi program as a function: the same ``run_program`` the stack runs, on that tenant's config.

The orchestrator deploys the repository's program (``infra/__main__.py`` reading ``Pulumi.<tenant>.yaml``).
This function declares the same resources in process, from the same ``TenantStack`` mapping, so tests and
the benchmark can run every tenant under Pulumi's mocks; it also fits an Automation API inline program.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pulumi

from infra.bundle import Bundle
from infra.program import run_program
from infra.tenants.stacks import TenantStack
from shared.config.loader import DEFAULT_CONFIG_PATH
from shared.secrets import Secret


def tenant_program(
    stack: TenantStack,
    secrets: Mapping[str, Secret | str],
    *,
    bundle: Bundle | None = None,
    agent_types_path: Path = DEFAULT_CONFIG_PATH,
    export: bool = True,
) -> Callable[[], dict[str, pulumi.Output[Any]]]:
    """The program for one tenant; calling it validates the config, declares the service and exports its outputs."""
    plain = {name: value.reveal() if isinstance(value, Secret) else value for name, value in secrets.items()}

    def program() -> dict[str, pulumi.Output[Any]]:
        config = stack.stack_config(plain, agent_types_path=agent_types_path)
        outputs = run_program(config, bundle)
        if export:
            for key, value in outputs.items():
                pulumi.export(key, value)
        return outputs

    program.__name__ = f"tenant_{stack.name.replace('-', '_').replace('.', '_')}"
    return program


__all__ = ["tenant_program"]
