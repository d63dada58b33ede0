"""``connect``'s memory between runs: one JSON file per wired agent or number, mode 0600, under the data dir.

It holds ids (what the wiring created) and the settings found before the first run (for ``--undo``), never
a platform key; those earlier settings may include someone's old header values, hence the file mode.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any


def state_path(data_dir: Path, platform: str, target_id: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", target_id)
    return data_dir / "connect" / f"{platform}-{safe}.json"


def load_state(path: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return data


def save_state(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=2, sort_keys=True)
    os.chmod(path, 0o600)


__all__ = ["load_state", "save_state", "state_path"]
