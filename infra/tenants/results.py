"""What a tenants run reports: the operation, each tenant's status and result, and the listener told of changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol


class Operation(StrEnum):
    PREVIEW = "preview"
    UP = "up"
    DESTROY = "destroy"
    OUTPUTS = "outputs"


class Status(StrEnum):
    QUEUED = "queued"
    PREPARING = "preparing"
    RUNNING = "running"
    RETRYING = "retrying"
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    CHANGES = "changes pending"
    NO_CHANGES = "no changes"
    DESTROYED = "destroyed"
    ABSENT = "no stack"
    READ = "read"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL: frozenset[Status] = frozenset(Status) - {Status.QUEUED, Status.PREPARING, Status.RUNNING, Status.RETRYING}


class Listener(Protocol):
    """Told every state change of every tenant, from worker threads."""

    def update(self, tenant_id: str, status: Status, detail: str = "") -> None: ...


class NullListener:
    def update(self, tenant_id: str, status: Status, detail: str = "") -> None:
        return None


@dataclass
class TenantResult:
    tenant_id: str
    status: Status
    changes: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    log_path: Path | None = None
    attempts: int = 0
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.status is Status.FAILED


@dataclass
class RunReport:
    operation: Operation
    results: list[TenantResult]
    log_dir: Path
    interrupted: bool = False

    @property
    def failed(self) -> list[TenantResult]:
        return [result for result in self.results if result.failed]

    @property
    def exit_code(self) -> int:
        """1 if any tenant failed, 130 if Ctrl-C left some not run, else 0."""
        if self.failed:
            return 1
        return 130 if any(result.status is Status.CANCELLED for result in self.results) else 0


__all__ = ["FINAL", "Listener", "NullListener", "Operation", "RunReport", "Status", "TenantResult"]
