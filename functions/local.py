"""The local edge: the whole service in one process on the embedded store (``agentic-memory serve``).

Ports are files (archive) and SQLite (queue, memories) under the data dir; a worker thread drains the queue.
Secrets come from the environment; one that is missing is generated once and kept in the data dir (0600), so
nothing ever runs with authentication off. The data dir is 0700 and every file in it 0600 (``shared.private_files``).
"""

from __future__ import annotations

import json
import os
import secrets as random_secrets
import threading
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from functions.stores import memory_store
from shared.admin import secret_names
from shared.errors import ConfigError
from shared.http import Response
from shared.ingest.local import Activity, FileArchive, LocalWorker, SqliteQueue
from shared.private_files import open_private, private_dir
from shared.profile import load_profile
from shared.runtime import Runtime, build_runtime
from shared.secrets import ChainedSecrets, EnvSecrets, Secret, configured
from shared.settings import Settings

if TYPE_CHECKING:
    import flask


class GeneratedSecrets:
    """Local secrets kept in ``<data dir>/secrets.json`` (mode 0600); generated on first use."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def _load(self) -> dict[str, str]:
        try:
            data: dict[str, str] = json.loads(self._path.read_text())
            return data
        except FileNotFoundError:
            return {}

    def get(self, name: str) -> Secret | None:
        return configured(self._load().get(name))

    def store(self, name: str, value: str) -> None:
        """Keep a secret made elsewhere (``connect``: the HMAC key ElevenLabs generates)."""
        stored = self._load()
        stored[name] = value
        self._write(stored)

    def _write(self, stored: dict[str, str]) -> None:
        private_dir(self._path.parent)  # the data dir: 0700, like everything the service keeps in it
        with os.fdopen(open_private(self._path), "w") as handle:
            json.dump(stored, handle, indent=2)

    def ensure(self, names: list[str]) -> dict[str, str]:
        """Generate what is missing; returns only the secrets generated now or earlier (never env values)."""
        stored = self._load()
        for name in names:
            if not configured(stored.get(name)):  # missing, or blank (which would authenticate nothing)
                stored[name] = random_secrets.token_urlsafe(32)
        self._write(stored)
        return {name: stored[name] for name in names}


def needed_secrets(settings: Settings) -> list[str]:
    """The secrets this deployment reads that can be made up locally (a Mem0 key cannot)."""
    profile = load_profile(settings.agent_type, settings.config_path)
    return [name for name in secret_names(profile, settings) if name != "MEM0_API_KEY"]


def prepare_secrets(settings: Settings, environ: Mapping[str, str]) -> tuple[ChainedSecrets, dict[str, str]]:
    """Environment first, then the data dir's generated secrets. Returns the source and what was generated."""
    env = EnvSecrets(environ)
    generated = GeneratedSecrets(settings.data_dir / "secrets.json")
    missing = [name for name in needed_secrets(settings) if not env.get(name)]
    created = generated.ensure(missing) if missing else {}
    return ChainedSecrets(env, generated), created


@dataclass
class LocalService:
    runtime: Runtime
    queue: SqliteQueue
    worker: LocalWorker
    activity: Activity
    # On the embedded store a request is CPU-bound: one handled at a time, however many threads ``--threads`` asks
    # for. Threads running them side by side hand the GIL over at every SQLite step (measured: /client-data 693
    # req/s with 4 such threads, 901 with 1); the others only read their connection's bytes meanwhile.
    one_at_a_time: AbstractContextManager[object] = field(default_factory=nullcontext)

    def close(self) -> None:
        """Stop the worker and close this thread's connections (before a fork, SQLite must have none open)."""
        self.worker.stop()
        self.runtime.store.close()
        self.queue.close()


def unusable_data_dir(data_dir: Path, exc: OSError) -> str:
    return f"data dir {data_dir} cannot be used: {exc.strerror or type(exc).__name__}"


def build_local(settings: Settings, environ: Mapping[str, str] | None = None) -> LocalService:
    environ = os.environ if environ is None else environ
    try:  # a data dir that cannot be created or written: one line naming it, not a traceback
        source, _ = prepare_secrets(settings, environ)
        queue = SqliteQueue(settings.data_dir / "queue.db", agent_type=settings.agent_type)
        archive = FileArchive(settings.data_dir / "archive")
    except OSError as exc:
        raise ConfigError(unusable_data_dir(settings.data_dir, exc)) from exc
    store = memory_store(settings, source, environ)
    runtime = build_runtime(settings, secrets=source, archive=archive, queue=queue, store=store)
    activity = Activity()
    worker = LocalWorker(queue, runtime.worker.process, max_attempts=settings.worker_max_attempts, activity=activity)
    serial = threading.Lock() if settings.memory_backend == "sqlite" else nullcontext()
    return LocalService(runtime, queue, worker, activity, serial)


class LocalServer:
    """Holds the settings chosen by ``serve``; the service itself is built in the serving process (after fork)."""

    settings: Settings | None = None
    service: LocalService | None = None
    pid: int | None = None

    @classmethod
    def configure(cls, settings: Settings) -> None:
        cls.settings = settings

    @classmethod
    def current(cls) -> LocalService:
        if cls.service is None or cls.pid != os.getpid():
            settings = cls.settings or Settings.from_environ()
            cls.service = build_local(settings)
            cls.pid = os.getpid()
            cls.service.worker.start()
        return cls.service


# How long a request's body may pause before it is refused (408): a sender that stops mid-body (a dropped link, a
# slow-loris client) held its thread for ever, and with it, on one thread, every pre-call behind it.
BODY_IDLE_SECONDS = 2.0


def http(request: flask.Request) -> flask.Response:
    """The functions-framework target for local serving."""
    from functions.http_edge import READ_LIMIT, to_flask, to_request

    service = LocalServer.current()
    sock = request.environ.get("gunicorn.socket")
    if sock is not None:  # for this request only: gunicorn makes the socket blocking again for the next one
        sock.settimeout(BODY_IDLE_SECONDS)
    try:
        received = to_request(request)  # read before taking a turn: a slow sender holds only its own thread
    except OSError:  # the body stopped arriving (a timeout) or the sender went away: answer, and drop the link
        late = Response.error(408, f"the request body did not arrive within {BODY_IDLE_SECONDS:g} s")
        return _leaving_the_rest_unread(late)
    with service.activity.request(), service.one_at_a_time:
        answer = service.runtime.app.handle(received)
    if len(received.body) > READ_LIMIT:  # refused (413) from its first bytes: the rest is never read, nor buffered
        return _leaving_the_rest_unread(answer)
    return to_flask(answer)


def _leaving_the_rest_unread(answer: Response) -> flask.Response:
    """The answer, streamed, and the connection closed. functions-framework reads what is left of a request's body
    after every other response (``read_request``): it would wait on a stalled sender again, and buffer a 2 GB body
    whole in memory (a 200 MB one took the process from 47 to 257 MB, and its one request thread for 10 s)."""
    import flask

    return flask.Response(iter([answer.body]), status=answer.status, headers={**answer.headers, "connection": "close"})
