"""``agentic-memory serve``: the whole HTTP interface in one process, served by functions-framework."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from functions.cli.options import AgentTypeOption, ConfigOption, DataDirOption, console, fail, local_settings
from shared.errors import ConfigError
from shared.keyed_hash import CALLER_REF_KEY

# Generated secrets no one needs to paste into a platform: their values stay in the data dir.
NOT_PRINTED = frozenset({CALLER_REF_KEY})
ENDPOINTS = (
    ("POST", "/client-data", "pre-call hook (ElevenLabs initiation, Vapi assistant-request, Retell call_inbound)"),
    ("POST", "/retrieve", "in-call memory search tool"),
    ("POST", "/post-call", "post-call events"),
    ("GET", "/admin/users/{user_id}/memories", "list a caller's memories (X-Admin-Key)"),
    ("DELETE", "/admin/users/{user_id}/memories", "erase a caller (X-Admin-Key)"),
    ("GET", "/admin/users/{user_id}/pre-call", "the pre-call answer of the caller's next call (X-Admin-Key)"),
    ("GET", "/admin/users/{user_id}/search?q=", "what the in-call search tool would answer (X-Admin-Key)"),
    ("GET", "/admin/config", "the running agent type's effective config (X-Admin-Key)"),
    ("GET", "/analytics/users/{user_id}", "one caller's insights (X-Admin-Key)"),
    ("GET", "/analytics/agent?days=N[&by=variant]", "analytics, or variants compared (X-Admin-Key)"),
    ("GET", "/console", "the memory console in a browser (sign in with ADMIN_API_KEY)"),
    ("GET", "/healthz", "liveness"),
)


def request_threads(memory_backend: str) -> int:
    """The embedded store's requests are CPU-bound: in one process a second thread only adds GIL hand-offs
    (measured: /client-data 901 req/s with 1 thread, 784 with 2, 693 with 4). A remote store waits on the network."""
    return 1 if memory_backend == "sqlite" else 8


def _check_free(host: str, port: int) -> None:
    """Before anything is printed or generated: a busy port ended in gunicorn's retries after "serving ..."."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
        return
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            fail(f"cannot listen on {host}:{port} ({exc.strerror or exc}): is another serve running? pass --port")


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    agent_type: AgentTypeOption = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
    threads: Annotated[
        int | None,
        typer.Option(help="Request threads (default: 1 on the embedded store, 8 when the store is remote)."),
    ] = None,
) -> None:
    """Serve every endpoint locally on the embedded store, on the same code path as the cloud functions."""
    import functions_framework
    from functions_framework._http import create_server

    from functions.local import LocalServer, build_local, needed_secrets, prepare_secrets

    settings = local_settings(agent_type, config, data_dir)
    try:
        needed_secrets(settings)  # a config mistake (an unknown agent type) is the first thing to say
    except ConfigError as exc:
        fail(str(exc))
    _check_free(host, port)
    try:
        _, generated = prepare_secrets(settings, os.environ)
        build_local(settings).close()  # fail now with a clear message, not on the first request
    except ConfigError as exc:
        fail(str(exc))
    LocalServer.configure(settings)  # the service itself is built inside the serving process
    base = f"http://{host}:{port}"
    console.print(
        f"[bold]agentic-memory[/bold] serving agent type [cyan]{settings.agent_type}[/cyan] "
        f"({settings.memory_backend} store in {settings.data_dir})"
    )
    for method, path, what in ENDPOINTS:
        console.print(f"  {method:6} {base}{path}  [dim]{what}[/dim]", highlight=False)
    if generated:
        console.print(f"Generated secrets (kept in {settings.data_dir / 'secrets.json'}, mode 0600):")
        for name, value in generated.items():
            if name in NOT_PRINTED:
                console.print(f"  {name} (generated; nothing to paste anywhere)", highlight=False)
            else:
                console.print(f"  {name}={value}", highlight=False)
    source = Path(__file__).resolve().parent.parent / "local_main.py"
    # explicit: functions-framework would otherwise follow an inherited FUNCTION_SIGNATURE_TYPE (it even sets it)
    app = functions_framework.create_app(target="http", source=str(source), signature_type="http")
    app.config["MAX_CONTENT_LENGTH"] = None
    create_server(
        app,
        False,
        threads=threads or request_threads(settings.memory_backend),
        workers=1,
        post_worker_init=lambda worker: LocalServer.current(),
    ).run(host, port)
