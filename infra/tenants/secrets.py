"""Resolve a tenant's secret references (``env:VAR``, ``file:PATH``) into masked ``Secret`` values.

All references of all selected tenants are resolved before any stack is touched, and every failure is
reported at once. Messages name the tenant, the secret and the reference (a variable name or a path), never
a value. A file's single trailing newline is dropped (``echo`` and editors add one), as Pulumi does on stdin.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from infra.tenants.errors import SecretReferenceError
from infra.tenants.models import Tenant
from shared.secrets import Secret


def _strip_newline(text: str) -> str:
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith("\n") else text


class SecretResolver:
    """Reads references against an environment and a base directory (the tenants file's folder)."""

    def __init__(self, environ: Mapping[str, str] | None = None, base_dir: Path | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self._base_dir = base_dir or Path.cwd()

    def resolve_one(self, reference: str) -> Secret:
        """One reference; ``SecretReferenceError`` says what is missing without showing anything it read."""
        kind, _, target = reference.partition(":")
        if kind == "env":
            value = self._environ.get(target, "")
            if not value.strip():
                raise SecretReferenceError(f"environment variable {target} is not set or empty")
            return Secret(value)
        if kind == "file":
            path = Path(target).expanduser()
            path = path if path.is_absolute() else self._base_dir / path
            try:
                value = _strip_newline(path.read_text(encoding="utf-8"))
            except OSError as exc:
                raise SecretReferenceError(f"file {path} cannot be read ({exc.strerror})") from exc
            except UnicodeDecodeError as exc:
                raise SecretReferenceError(f"file {path} is not UTF-8 text") from exc
            if not value.strip():
                raise SecretReferenceError(f"file {path} is empty")
            return Secret(value)
        raise SecretReferenceError("a reference is 'env:VARIABLE' or 'file:PATH'")

    def resolve(self, tenant: Tenant) -> dict[str, Secret]:
        resolved, problems = {}, []
        for name, reference in tenant.secrets.items():
            try:
                resolved[name] = self.resolve_one(reference)
            except SecretReferenceError as exc:
                problems.append(f"tenant {tenant.id!r}: secret {name}: {exc}")
        if problems:
            raise SecretReferenceError("\n".join(problems))
        return resolved

    def resolve_all(self, tenants: Sequence[Tenant]) -> dict[str, dict[str, Secret]]:
        """Tenant id -> secret name -> value, or one error listing every unresolved reference."""
        resolved, problems = {}, []
        for tenant in tenants:
            try:
                resolved[tenant.id] = self.resolve(tenant)
            except SecretReferenceError as exc:
                problems.append(str(exc))
        if problems:
            raise SecretReferenceError("\n".join(problems))
        return resolved


__all__ = ["SecretResolver"]
