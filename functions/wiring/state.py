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

from functions.wiring.api import WiringError
from shared.private_files import open_private, private_dir


def state_path(data_dir: Path, platform: str, target_id: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", target_id)
    return data_dir / "connect" / f"{platform}-{safe}.json"


def load_state(path: Path) -> dict[str, Any] | None:
    """The kept state, ``None`` before the first run. Raises ``WiringError`` for a file that is not one (edited by
    hand, cut short by a full disk): nothing is sent to the platform from a state it cannot trust."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise WiringError(f"{path}: not a readable connect state ({type(exc).__name__}); restore or remove it") from exc
    if not isinstance(data, dict) or not isinstance(data.get("before", {}), dict):
        raise WiringError(f"{path}: not a connect state (a JSON object was expected); restore or remove it")
    return data


def save_state(path: Path, state: dict[str, Any]) -> None:
    private_dir(path.parent)
    with os.fdopen(open_private(path), "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=2, sort_keys=True)


__all__ = ["load_state", "save_state", "state_path"]
