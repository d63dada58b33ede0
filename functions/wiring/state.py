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

from shared.private_files import open_private, private_dir


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
    private_dir(path.parent)
    with os.fdopen(open_private(path), "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=2, sort_keys=True)


__all__ = ["load_state", "save_state", "state_path"]
