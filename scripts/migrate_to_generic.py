#!/usr/bin/env python3
"""Generate config/agent_types.json entries from the original system's environment (the name its design gave).

The same as ``agentic-memory config migrate``, runnable from a checkout without installing the package:

    python scripts/migrate_to_generic.py --env-file old.env --out config/agent_types.json
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> None:
    import typer

    from functions.cli.config_cmd import migrate

    command = typer.Typer(add_completion=False)
    command.command()(migrate)
    command(args=sys.argv[1:] if argv is None else argv, prog_name="migrate_to_generic.py")


if __name__ == "__main__":
    main()
