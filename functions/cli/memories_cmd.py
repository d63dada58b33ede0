"""``agentic-memory memories list | search | erase | export | import``, ``replay`` and ``reindex``, on the local store
and archive.

``export`` and ``import`` work on whichever store ``--backend`` (or ``MEMORY_BACKEND``) names, so a team can move
from Mem0 or a local trial to its own table: ``dynamodb`` needs ``MEMORY_TABLE`` and AWS credentials,
``firestore`` its project, ``mem0`` ``MEM0_API_KEY``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from functions.cli.options import (
    AgentTypeOption,
    ConfigOption,
    DataDirOption,
    check_output,
    console,
    errors,
    fail,
    local_settings,
    require_data_dir,
    write_failed,
)
from shared.admin import erase_caller, erase_ids
from shared.errors import AgenticMemoryError, NotFound
from shared.identity import mask
from shared.ingest.erasures import is_event_key
from shared.private_files import write_private

if TYPE_CHECKING:
    from collections.abc import Mapping

    from functions.local import LocalService
    from shared.ingest.erasures import ErasedCallers
    from shared.ingest.ports import Archive
    from shared.memory.store import MemoryStore
    from shared.settings import Settings

BackendOption = Annotated[
    str | None,
    typer.Option("--backend", help="sqlite, mem0, dynamodb or firestore (default: $MEMORY_BACKEND or sqlite)."),
]

app = typer.Typer(help="Look into and erase a caller's memories in the local store.", no_args_is_help=True)


def _local(agent_type: str | None, config: Path | None, data_dir: Path | None) -> LocalService:
    from functions.local import build_local

    try:
        return build_local(require_data_dir(local_settings(agent_type, config, data_dir)))
    except AgenticMemoryError as exc:
        fail(str(exc))
        raise  # unreachable: fail() exits


def _user_id(local: LocalService, user: str) -> str:
    """The memory user id for what was typed (any phone format, or the stored user id as `export` shows it); a clear
    error for anything else."""
    try:
        return local.runtime.service.identity.for_operators().user_id(user)
    except AgenticMemoryError as exc:
        fail(str(exc))
        raise  # unreachable: fail() exits


@app.command("list")
def list_memories(
    user: Annotated[str, typer.Argument(help="Caller id (any phone format) or user id.")],
    memory_type: Annotated[str | None, typer.Option("--type", help="Only this memory type.")] = None,
    agent_type: AgentTypeOption = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """A caller's live memories, newest first."""
    local = _local(agent_type, config, data_dir)
    user_id = _user_id(local, user)
    try:
        memories = local.runtime.service.manager.recent(user_id, types=[memory_type] if memory_type else None)
    except AgenticMemoryError as exc:  # the store unavailable: one line, no traceback
        local.close()
        fail(str(exc))
        raise  # unreachable: fail() exits
    table = Table(title=f"{len(memories)} memories of {mask(user_id)} ({local.runtime.profile.name})")
    for column in ("created", "type", "text", "expires"):
        table.add_column(column)
    for m in memories:
        table.add_row(
            m.created_at.strftime("%Y-%m-%d %H:%M"),
            m.type,
            m.text,
            m.expires_at.date().isoformat() if m.expires_at else "",
        )
    console.print(table)


@app.command()
def search(
    user: Annotated[str, typer.Argument(help="Caller id or user id.")],
    query: Annotated[str, typer.Argument(help="What to look for.")],
    limit: Annotated[
        int | None, typer.Option(help="At most this many (capped by the agent type's search_limit).", min=1)
    ] = None,
    agent_type: AgentTypeOption = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Search a caller's memories the way the in-call tool does."""
    local = _local(agent_type, config, data_dir)
    user_id = _user_id(local, user)
    try:
        matches = local.runtime.service.manager.search(user_id, query, limit=limit)
    except AgenticMemoryError as exc:
        local.close()
        fail(str(exc))
        raise  # unreachable: fail() exits
    table = Table(title=f"{len(matches)} matches for {mask(user_id)}")
    for column in ("score", "type", "text"):
        table.add_column(column)
    for match in matches:
        table.add_row(f"{match.score:.3f}", match.memory.type, match.memory.text)
    console.print(table)


@app.command()
def erase(
    user: Annotated[str, typer.Argument(help="Caller id or user id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    agent_type: AgentTypeOption = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Erase a caller: memories (all agent types in this store), archived events and queue entries."""
    local = _local(agent_type, config, data_dir)
    user_id = _user_id(local, user)
    if not yes:
        typer.confirm(f"Erase every memory of {mask(user_id)}?", abort=True)
    runtime = local.runtime
    identity = runtime.service.identity.for_operators()
    try:
        erased = erase_ids(
            identity.stored_ids(user),  # with pseudonyms, also the plain number older memories are kept under
            erase_caller,
            store=runtime.store,
            archive=runtime.archive,
            queue=runtime.queue,
            identity=identity,
            agent_type=runtime.profile.name,
        )
    except AgenticMemoryError as exc:  # each step is idempotent: running it again finishes the rest
        local.close()
        fail(f"the erasure of {mask(user_id)} did not finish ({exc}); run it again")
        raise  # unreachable: fail() exits
    console.print(
        f"erased {erased.memories} memories, {erased.archived_events} archived events and "
        f"{erased.queue_entries} queue entries of {mask(user_id)}"
    )


def replay(
    key: Annotated[
        list[str] | None, typer.Option("--key", help="Replay only this idempotency key (repeatable).")
    ] = None,
    dead: Annotated[bool, typer.Option("--dead", help="Replay only dead-lettered events.")] = False,
    process: Annotated[bool, typer.Option(help="Process now (else a running `serve` picks them up).")] = True,
    agent_type: AgentTypeOption = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Re-enqueue archived post-call events; a replay changes nothing for events already remembered."""
    local = _local(agent_type, config, data_dir)
    archive = local.runtime.archive
    name = local.runtime.profile.name
    if key:
        keys = list(key)
        for k in keys:
            try:
                archived = archive.get(k)
            except NotFound:
                fail(f"no archived event with key {k!r}")
                raise  # unreachable: fail() exits
            if archived.agent_type != name:  # its provider, fields and memory types are another agent type's
                fail(f"archived event {k!r} belongs to agent type {archived.agent_type!r}: replay it with --agent-type")
    elif dead:  # a shared queue.db holds other agent types' dead letters too: each is replayed by its own
        keys = [k for k in local.queue.keys("dead") if _archived_agent_type(archive, k) in (name, None)]
    else:
        keys = [
            entry.key
            for entry in archive.entries()
            if entry.agent_type == local.runtime.profile.name and is_event_key(entry.key)
        ]
    for k in keys:
        local.queue.enqueue(k)
    console.print(f"re-enqueued {len(keys)} archived events")
    if process:
        local.worker.drain(timeout=600)
        replayed = set(keys)  # the queue holds every event ever taken: count only these
        counts = {state: len(replayed.intersection(local.queue.keys(state))) for state in ("done", "dead", "pending")}
        console.print(f"processed: {counts['done']} done, {counts['dead']} dead, {counts['pending']} pending")


def _archived_agent_type(archive: Archive, key: str) -> str | None:
    """The agent type an event was archived under; None when it is archived no more (erased: the worker skips it)."""
    try:
        return archive.get(key).agent_type
    except NotFound:
        return None


def reindex(
    agent_type: AgentTypeOption = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Give every stored memory without a meaning vector of the bundled model its vector (stores written before
    semantic search, or by an older model).

    Search does it too, caller by caller, on first use; this does them all now."""
    local = _local(agent_type, config, data_dir)
    manager = local.runtime.service.manager
    if not manager.embeds:
        console.print("semantic search is off for this agent type (or its store ranks itself): nothing to do")
        return
    callers, vectors = manager.reindex()
    console.print(f"reindexed {callers} caller(s): {vectors} memories got a vector")


def _store(
    backend: str | None, agent_type: str | None, config: Path | None, data_dir: Path | None, *, existing: bool = False
) -> tuple[Settings, MemoryStore]:
    """The settings and only the memory store (no queue or archive): what export and import touch.

    Secrets come from the environment, then the data dir's ``secrets.json`` as ``serve`` keeps them. The mem0 store
    names its pending log's records under ``CALLER_REF_KEY``: one that neither has is generated there, as ``serve``
    does, so the documented ``MEM0_API_KEY=... agentic-memory memories export --backend mem0`` works as written."""
    from functions.local import GeneratedSecrets, unusable_data_dir
    from functions.stores import memory_store
    from shared.keyed_hash import CALLER_REF_KEY
    from shared.secrets import ChainedSecrets, EnvSecrets

    environ = {**os.environ, **({"MEMORY_BACKEND": backend} if backend else {})}
    try:
        settings = local_settings(agent_type, config, data_dir, environ=environ)
        if existing:  # export reads a store; import may fill a new one
            require_data_dir(settings)
        env, kept = EnvSecrets(environ), GeneratedSecrets(settings.data_dir / "secrets.json")
        if settings.memory_backend == "mem0" and not env.get(CALLER_REF_KEY) and not kept.get(CALLER_REF_KEY):
            kept.ensure([CALLER_REF_KEY])
        return settings, memory_store(settings, ChainedSecrets(env, kept), environ)
    except AgenticMemoryError as exc:
        fail(str(exc))
        raise  # unreachable: fail() exits
    except OSError as exc:
        fail(unusable_data_dir(settings.data_dir, exc))
        raise  # unreachable: fail() exits


@app.command("export")
def export(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here; '-' or none: standard output.")] = None,
    backend: BackendOption = None,
    agent_type: AgentTypeOption = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Every live memory of the agent type as JSON Lines: every field, expiry and type included."""
    from shared.clock import utc_now
    from shared.config.loader import load_agent_type
    from shared.memory.transfer import export_lines

    if out is not None and str(out) == "-":  # as every other --out: never a file named "-" in the working dir
        out = None
    if out is not None:
        check_output(out, "--out")
    settings, store = _store(backend, agent_type, config, data_dir, existing=True)
    name = settings.agent_type
    try:
        load_agent_type(name, settings.config_path)  # an unknown one (or no config at all) exported "0 memories"
        lines = list(export_lines(store, name, now=utc_now()))
    except AgenticMemoryError as exc:
        fail(str(exc))
    finally:
        store.close()
    text = "".join(f"{line}\n" for line in lines)
    if out is None:
        sys.stdout.write(text)
    else:  # every memory of every caller: 0600 from creation, as the data dir's files are
        try:
            write_private(out, text.encode("utf-8"))
        except OSError as exc:
            write_failed(out, exc, "--out")
    errors.print(f"exported {len(lines)} memories of {name}", highlight=False)


def _erased_callers(settings: Settings, environ: Mapping[str, str]) -> ErasedCallers | None:
    """The erasures the target deployment recorded, so an import never brings an erased caller back: in the stack's
    bucket when the environment names it (``ARCHIVE_BUCKET`` with the queue and ``SECRET_ARN``, as the functions
    have them), else in the data dir's archive; read under the deployment's ``CALLER_REF_KEY``. None when there is
    no archive to ask."""
    import importlib

    from functions.local import GeneratedSecrets
    from functions.stores import CLOUD_STORE_PORTS
    from shared.identity import CallerIdentity
    from shared.ingest.erasures import ERASED_PREFIX, ErasedCallers
    from shared.ingest.local import FileArchive
    from shared.ingest.ports import ERASE_PREFIX
    from shared.keyed_hash import caller_ref_key
    from shared.secrets import ChainedSecrets, EnvSecrets, SecretSource

    local: SecretSource = GeneratedSecrets(settings.data_dir / "secrets.json")
    archive: Archive
    ports = CLOUD_STORE_PORTS.get(settings.memory_backend)
    if ports and not environ.get("ARCHIVE_BUCKET"):  # a stack's erasures are in its bucket: say they go unchecked
        errors.print(
            f"warning: ARCHIVE_BUCKET is not set, so the erasures the stack recorded are not checked (only those in "
            f"{settings.data_dir / 'archive'}): an erased caller in the file would be imported. Set ARCHIVE_BUCKET, "
            "QUEUE_URL or PUBSUB_TOPIC, and SECRET_ARN on AWS, as the stack's functions have them."
        )
    if ports and environ.get("ARCHIVE_BUCKET"):
        secrets, archive, _ = importlib.import_module(ports).ports_from_environ(environ, settings.data_dir)
        sources = ChainedSecrets(secrets, EnvSecrets(environ), local)
    elif (settings.data_dir / "archive").is_dir():
        archive = FileArchive(settings.data_dir / "archive")
        sources = ChainedSecrets(EnvSecrets(environ), local)
    else:
        return None
    try:
        key = caller_ref_key(sources)
    except AgenticMemoryError as exc:
        if archive.keys_under(ERASED_PREFIX) or archive.keys_under(ERASE_PREFIX):
            fail(f"the archive records erasures, and they cannot be checked: {exc}")
        return None
    return ErasedCallers(archive, CallerIdentity(ref_key=key).user_ref)


@app.command("import")
def import_(
    source: Annotated[Path, typer.Argument(help="A JSON Lines file written by `memories export` ('-': stdin).")],
    backend: BackendOption = None,
    agent_type: AgentTypeOption = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Add the file's memories to the store; ones it holds already (same id) are left as they are. Idempotent.

    Each record keeps its own agent type; one that the config does not have, or a memory type its agent type does
    not have, stops the import (no agent type could read it)."""
    from shared.clock import utc_now
    from shared.config.loader import load_agent_types
    from shared.memory.transfer import import_lines

    if str(source) != "-" and source.is_dir():
        fail(f"{source} is a directory: give the JSON Lines file")
    settings, store = _store(backend, agent_type, config, data_dir)
    environ = {**os.environ, **({"MEMORY_BACKEND": backend} if backend else {})}
    try:
        config_file = load_agent_types(settings.config_path).agent_types
        types = {name: agent.memory.types for name, agent in config_file.items()}
        pseudonymized = {name for name, agent in config_file.items() if agent.identity.pseudonymize}
        erased = _erased_callers(settings, environ)
        with sys.stdin if str(source) == "-" else source.open(encoding="utf-8") as lines:
            report = import_lines(store, lines, now=utc_now(), types=types, erased=erased, pseudonymized=pseudonymized)
    except FileNotFoundError:
        fail(f"no file {source}")
    except OSError as exc:
        fail(f"{source}: cannot be read ({exc.strerror or type(exc).__name__})")
    except (ValueError, AgenticMemoryError) as exc:
        fail(f"{source}: {exc}")
    finally:
        store.close()
    console.print(
        f"imported {report.added} memories; {report.already_present} were there already, "
        f"{report.expired} past their expiry were skipped"
        + (f", and {report.erased} of callers erased since" if report.erased else "")
    )
