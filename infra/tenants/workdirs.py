"""Each tenant's own Pulumi work directory: ``<project>/tenants/<id>/``, holding its ``Pulumi.<id>.yaml``.

The CLI keeps a workspace file per project directory (``~/.pulumi/workspaces/<project>-<hash of the
Pulumi.yaml path>-workspace.json``) and rewrites it on ``stack select`` and ``config set``: stacks that share
a directory race on it when they run in parallel. Here every tenant has its own directory, whose
``Pulumi.yaml`` is the project's with ``main`` and the virtualenv pointing back at the project's (relative
paths), so the same program runs. A stack file this tool wrote beside the project's ``Pulumi.yaml`` before
(it carries the tenant marker) is moved in; any other file of that name stays where it is and is respected.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

TENANTS_DIR = "tenants"


def _relative(target: Path, start: Path) -> str:
    return os.path.relpath(target, start).replace(os.sep, "/")


def tenant_project(project_dir: Path, work_dir: Path) -> dict[str, Any]:
    """The project's ``Pulumi.yaml`` as seen from ``work_dir``: same name and runtime, paths made relative."""
    import yaml

    project: dict[str, Any] = yaml.safe_load((project_dir / "Pulumi.yaml").read_text(encoding="utf-8"))
    project["main"] = _relative(project_dir / str(project.get("main") or "."), work_dir) + "/"
    runtime = project.get("runtime")
    options = runtime.get("options") if isinstance(runtime, dict) else None
    if isinstance(options, dict) and isinstance(options.get("virtualenv"), str):
        venv = Path(options["virtualenv"])
        options["virtualenv"] = str(venv) if venv.is_absolute() else _relative(project_dir / venv, work_dir)
    return project


def stack_file_is_ours(path: Path, project: str, tenant_id: str) -> bool:
    import yaml

    try:
        config = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("config") or {}
    except (OSError, yaml.YAMLError, AttributeError):
        return False
    return bool(config.get(f"{project}:tenant") == tenant_id)


def tenant_work_dir(project_dir: Path, tenant_id: str, project: str) -> Path:
    """Create (or refresh) the tenant's directory; returns it."""
    import yaml

    work_dir = project_dir / TENANTS_DIR / tenant_id
    work_dir.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(tenant_project(project_dir, work_dir), sort_keys=False)
    pulumi_yaml = work_dir / "Pulumi.yaml"
    if not pulumi_yaml.exists() or pulumi_yaml.read_text(encoding="utf-8") != text:
        pulumi_yaml.write_text(text, encoding="utf-8")
    earlier = project_dir / f"Pulumi.{tenant_id}.yaml"
    moved = work_dir / earlier.name
    if earlier.exists() and not moved.exists() and stack_file_is_ours(earlier, project, tenant_id):
        earlier.replace(moved)
    return work_dir


__all__ = ["TENANTS_DIR", "stack_file_is_ours", "tenant_project", "tenant_work_dir"]
