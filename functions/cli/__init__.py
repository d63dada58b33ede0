"""The ``agentic-memory`` command line. Each command group lives in its own module and is wired here."""

from __future__ import annotations

import typer

from functions.cli import (
    analytics_cmd,
    bundle_cmd,
    config_cmd,
    connect_cmd,
    memories_cmd,
    serve_cmd,
    sweep_cmd,
    tenants_cmd,
)

app = typer.Typer(
    name="agentic-memory",
    help="Long-term memory for voice AI agents: serve locally, manage memories, bundle and deploy.",
    no_args_is_help=True,
    add_completion=False,
)

app.command("serve")(serve_cmd.serve)
app.command("replay")(memories_cmd.replay)
app.command("reindex")(memories_cmd.reindex)
app.command("bundle")(bundle_cmd.bundle)
app.command("sweep")(sweep_cmd.sweep)
app.add_typer(config_cmd.app, name="config")
app.add_typer(memories_cmd.app, name="memories")
app.add_typer(analytics_cmd.app, name="analytics")
app.add_typer(tenants_cmd.app, name="tenants")
app.add_typer(connect_cmd.app, name="connect")


def main() -> None:
    app()
