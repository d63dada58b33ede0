"""``agentic-memory serve``: the whole HTTP interface in one process, served by functions-framework."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from functions.cli.options import AgentTypeOption, ConfigOption, DataDirOption, console, fail, local_settings
from shared.errors import ConfigError
from shared.keyed_hash import CALLER_REF_KEY

# Generated secrets no one needs to paste into a platform.
NOTHING_TO_PASTE = frozenset({CALLER_REF_KEY})
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


# gunicorn's gthread worker waits this long in a request thread for a new connection's first bytes before handing
# it to its poller (5 s by default): with one thread, an idle connection (a browser's preconnect beside the
# console, a tunnel's pool) held every route, the pre-call hook included, for that long (with the sync worker
# before, until it closed). The constant is module-level in gunicorn; an older gunicorn without it ignores this.
FIRST_BYTES_WAIT_SECONDS = 0.05
# gunicorn's default; never 0, which also closes a connection whose first bytes came after that wait at once
KEEPALIVE_SECONDS = 2
# How long a request's headers may pause once they have begun: gunicorn reads them with no timeout, so a sender that
# stopped half-way (a slow-loris client, a dropped link) held the one request thread, and every pre-call behind it,
# for as long as it kept the connection open. The body has its own limit (``functions.local.BODY_IDLE_SECONDS``).
HEADERS_IDLE_SECONDS = 2.0


def _bound_header_reads(gthread: Any, seconds: float) -> None:
    """Every request's socket gets a timeout once gunicorn has made it blocking (``TConn.init`` runs right after,
    before the headers are parsed); a read that waits longer fails, and gunicorn closes the connection."""
    init = gthread.TConn.init
    if getattr(init, "bounded", False):
        return

    def bounded(conn: Any) -> None:
        init(conn)
        conn.sock.settimeout(seconds)

    bounded.bounded = True  # type: ignore[attr-defined]
    gthread.TConn.init = bounded
    logging.getLogger("gunicorn.error").addFilter(_StalledHeaders(seconds))


class _StalledHeaders(logging.Filter):
    """gunicorn logs the timeout of a stalled sender as an ERROR with a traceback ("Socket error processing
    request."): it is the client's doing, so one WARNING line says what happened."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self._seconds = seconds

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], TimeoutError):
            record.msg, record.args, record.exc_info, record.exc_text = (
                "a request's headers stopped arriving for %g s; connection closed",
                (self._seconds,),
                None,
                None,
            )
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


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
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8080,
    agent_type: AgentTypeOption = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
    threads: Annotated[
        int | None,
        typer.Option(help="Request threads (default: 1 on the embedded store, 8 when the store is remote).", min=1),
    ] = None,
) -> None:
    """Serve every endpoint locally on the embedded store, on the same code path as the cloud functions."""
    import functions_framework
    import gunicorn.workers.gthread
    from functions_framework._http import create_server

    from functions.http_edge import answer_errors_in_json
    from functions.local import LocalServer, build_local, needed_secrets, prepare_secrets, unusable_data_dir

    settings = local_settings(agent_type, config, data_dir)
    try:
        needed_secrets(settings)  # a config mistake (an unknown agent type) is the first thing to say
    except ConfigError as exc:
        fail(str(exc))
    _check_free(host, port)
    try:
        _, generated = prepare_secrets(settings, os.environ)
        built = build_local(settings)  # fail now with a clear message, not on the first request
        shut = built.runtime.app.admin.shut_because  # deployed, calls go on; here, the person can fix it now
        built.close()
    except ConfigError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(unusable_data_dir(settings.data_dir, exc))
    if shut:
        fail(shut)
    LocalServer.configure(settings)  # the service itself is built inside the serving process
    base = f"http://{host}:{port}"
    console.print(
        f"[bold]agentic-memory[/bold] serving agent type [cyan]{settings.agent_type}[/cyan] "
        f"({settings.memory_backend} store in {settings.data_dir})"
    )
    for method, path, what in ENDPOINTS:
        console.print(f"  {method:6} {base}{path}  [dim]{what}[/dim]", highlight=False)
    if generated:  # names only: a terminal's output ends up in logs (docker, systemd, CI), secrets must not
        secrets_file = settings.data_dir / "secrets.json"
        console.print(f"Secrets generated for this data dir, kept in {secrets_file} (mode 0600), never printed:")
        for name in generated:
            note = "nothing to paste anywhere" if name in NOTHING_TO_PASTE else "read it from the file"
            console.print(f"  {name} [dim]({note})[/dim]", highlight=False)
        console.print(
            f"""  e.g. python3 -c "import json;print(json.load(open('{secrets_file}'))['NAME'])\"""",
            highlight=False,
            markup=False,
        )
    source = Path(__file__).resolve().parent.parent / "local_main.py"
    # explicit: functions-framework would otherwise follow an inherited FUNCTION_SIGNATURE_TYPE (it even sets it)
    app = functions_framework.create_app(target="http", source=str(source), signature_type="http")
    app.config["MAX_CONTENT_LENGTH"] = None
    answer_errors_in_json(app)  # a path Flask's own router refuses (%0d%0a) is answered in JSON, as every other error
    gunicorn.workers.gthread.DEFAULT_WORKER_DATA_TIMEOUT = FIRST_BYTES_WAIT_SECONDS
    _bound_header_reads(gunicorn.workers.gthread, HEADERS_IDLE_SECONDS)
    create_server(
        app,
        False,
        threads=threads or request_threads(settings.memory_backend),
        worker_class="gthread",  # even with --threads 1: an idle connection waits in the poller, not in a thread
        keepalive=KEEPALIVE_SECONDS,  # also how long a connection handed to the poller may take to send
        workers=1,
        post_worker_init=lambda worker: LocalServer.current(),
    ).run(host, port)
