"""The admin API (``X-Admin-Key``): list and erase a caller, read the effective config, read analytics.

Only ``ADMIN_API_KEY`` opens it, checked in constant time; a platform's key never does (a deployment whose
admin key equals any other secret it uses is refused at start-up). Configuration is read-only here: it
changes through ``config/agent_types.json`` and a deploy, so the stack stays the source of truth.

Erasure is synchronous where this process may list and delete archived events (local files), and otherwise
(``Archive.lifecycle_managed``: a deployed bucket) erases the memories now and leaves the archive to an erase job
the worker runs (``request_erasure``; the worker's side is ``IngestWorker.erase``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from shared.admin_caller import memory_json, pre_call_preview, search_preview
from shared.analytics import Analytics
from shared.clock import Clock, utc_now
from shared.errors import BadRequest, Unauthorized
from shared.http import Request, Response
from shared.identity import CallerIdentity, mask
from shared.ingest.erasures import record_erasure
from shared.ingest.ports import Archive, ArchivedEvent, KeyedQueue, Queue, erase_job_key
from shared.keyed_hash import CALLER_REF_KEY
from shared.memory.ranking import past_values
from shared.memory.store import MemoryStore
from shared.profile import AgentProfile
from shared.providers import provider_class
from shared.secrets import Secret, SecretSource
from shared.service import MemoryService
from shared.settings import Settings

log = logging.getLogger("agentic_memory.admin")

ADMIN_HEADER = "x-admin-key"
DEFAULT_PAGE = 50
MAX_PAGE = 500
QUEUE_STATES = ("pending", "processing", "done", "dead")
MIN_ADMIN_KEY_CHARS = 16  # what the stack and ``serve`` generate is 43
ERASED_BY_JOB = ("archived_events", "memories")  # what the worker's erase job erases (memories: once more)


def secret_names(profile: AgentProfile, settings: Settings) -> list[str]:
    """Every secret this deployment reads: its enabled endpoints', the admin key, and optional ones."""
    names: set[str] = {profile.auth[e].secret for e in ("client_data", "retrieve", "post_call") if profile.enabled(e)}
    names.add("ADMIN_API_KEY")
    names.add(CALLER_REF_KEY)  # every deployment names callers outside the store (archive, erase jobs, logs)
    if profile.config.identity.pseudonymize:
        names.add("PSEUDONYMIZATION_KEY")
    if settings.memory_backend == "mem0":
        names.add("MEM0_API_KEY")
    return sorted(names)


class AdminGate:
    """Compares SHA-256 digests with ``hmac.compare_digest``, so neither content nor length leaks by timing."""

    def __init__(self, admin_key: Secret | None, *, other_secrets: Mapping[str, Secret] | None = None) -> None:
        """A key that equals another secret leaves the admin API shut (``problem`` says why): the deployment's calls
        go on being answered, and nobody opens the API with a platform's key."""
        self.problem = admin_key_problem(admin_key, other_secrets or {})
        self._digest = _digest(admin_key.reveal()) if admin_key and self.problem is None else None

    def require(self, request: Request) -> None:
        given = request.header(ADMIN_HEADER)
        if self._digest is None or not given or not hmac.compare_digest(_digest(given), self._digest):
            raise Unauthorized("admin key required (X-Admin-Key)")


def admin_key_problem(admin_key: Secret | None, other_secrets: Mapping[str, Secret]) -> str | None:
    """Why this admin key must not open the admin API (never showing it), or None: equal to another secret (a
    platform's key would open it)."""
    if not admin_key:
        return None
    digest = _digest(admin_key.reveal())
    for name, secret in other_secrets.items():
        if hmac.compare_digest(_digest(secret.reveal()), digest):
            return f"ADMIN_API_KEY must differ from {name}: no other key may open the admin API"
    return None


def admin_key_weakness(admin_key: Secret | None) -> str | None:
    """A short admin key still opens the API (refusing it broke deployments that worked), but is said at every
    start: nothing throttles guesses over HTTP (``1234`` fell in 28 s)."""
    if admin_key and len(admin_key.reveal()) < MIN_ADMIN_KEY_CHARS:
        return (
            f"ADMIN_API_KEY is shorter than {MIN_ADMIN_KEY_CHARS} characters: it opens every caller's memories and "
            "nothing throttles guesses; use one of random data (python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(32))')"
        )
    return None


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "replace")).digest()


@dataclass(frozen=True)
class Erasure:
    """What was erased now; ``queued`` names what an erase job will erase shortly (empty when it was all done now)."""

    memories: int
    archived_events: int
    queue_entries: int
    queued: tuple[str, ...] = ()

    def __add__(self, other: Erasure) -> Erasure:
        """Two erasures of one caller (under their pseudonym and under their plain id) as one receipt."""
        return Erasure(
            memories=self.memories + other.memories,
            archived_events=self.archived_events + other.archived_events,
            queue_entries=self.queue_entries + other.queue_entries,
            queued=self.queued or other.queued,
        )

    def as_json(self) -> dict[str, Any]:
        if not self.queued:
            return {
                "erased": {
                    "memories": self.memories,
                    "archived_events": self.archived_events,
                    "queue_entries": self.queue_entries,
                }
            }
        return {"erased": {"memories": self.memories}, "queued": list(self.queued)}


def erase_caller(
    user_id: str,
    *,
    store: MemoryStore,
    archive: Archive,
    queue: Queue,
    identity: CallerIdentity,
    agent_type: str,
    clock: Clock = utc_now,
) -> Erasure:
    """Everything about one caller, now: archived events (by ``user_ref``), their queue entries, then memories.

    The erasure is recorded first (``record_erasure``): a worker already writing one of the caller's events erases
    what it wrote once it is done, and a platform resending an old call later finds it forgotten. Archive next: a
    worker that picks up a queued event afterwards finds nothing and writes nothing. Memories last, so what an
    event already being processed wrote by then goes too. Analytics keep nothing of their own.
    """
    ref = identity.user_ref(user_id)
    record_erasure(archive, ref, clock(), agent_type)
    keys = archive.erase_user(*identity.user_refs(user_id))
    record_erasure(archive, ref, clock(), agent_type, keys)  # a resend of one is known even without a time
    removed = 0
    if keys and isinstance(queue, KeyedQueue):
        queued = {key for state in QUEUE_STATES for key in queue.keys(state)}
        for key in keys:
            if key in queued:
                queue.remove(key)
                removed += 1
    memories = store.erase_user(user_id)
    log.info("erased caller %s: %d memories, %d archived events, %d queue entries", ref, memories, len(keys), removed)
    return Erasure(memories=memories, archived_events=len(keys), queue_entries=removed)


def request_erasure(
    user_id: str,
    *,
    store: MemoryStore,
    archive: Archive,
    queue: Queue,
    identity: CallerIdentity,
    agent_type: str,
    clock: Clock = utc_now,
    request_id: Callable[[], str] = lambda: uuid.uuid4().hex,
) -> Erasure:
    """Erasure where this function may only write new archive objects and send to the queue (a deployed bucket):
    the memories go now; the request (the user id) is archived under an erase job key, which is queued, and the
    worker erases every version of the caller's archived events and then the memories again.

    The request carries no ``user_ref`` of its own, so no other erasure of the caller removes it before its job
    ran. Queued events of the caller find no archived event once the job ran, and the worker skips them.
    """
    memories = store.erase_user(user_id)
    ref = identity.user_ref(user_id)
    key = erase_job_key(ref, request_id())
    archive.put_if_absent(ArchivedEvent(key, user_id.encode("utf-8"), clock(), agent_type))
    queue.enqueue(key)
    log.info("erased caller %s: %d memories; archived events queued for the worker", ref, memories)
    return Erasure(memories=memories, archived_events=0, queue_entries=0, queued=ERASED_BY_JOB)


def erase_ids(
    user_ids: Sequence[str],
    erase: Callable[..., Erasure],
    *,
    store: MemoryStore,
    archive: Archive,
    queue: Queue,
    identity: CallerIdentity,
    agent_type: str,
    clock: Clock = utc_now,
) -> Erasure:
    """One caller erased under each of their stored ids (``CallerIdentity.stored_ids``) by ``erase``
    (``erase_caller`` or ``request_erasure``); one receipt for all."""
    erased = [
        erase(user_id, store=store, archive=archive, queue=queue, identity=identity, agent_type=agent_type, clock=clock)
        for user_id in user_ids
    ]
    return sum(erased[1:], erased[0])


def int_param(query: Mapping[str, str], name: str, *, default: int, low: int, high: int) -> int:
    """Raises ``BadRequest`` for anything but an integer in [low, high] (never echoing the value)."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"query parameter {name} must be an integer") from None
    if not low <= value <= high:
        raise BadRequest(f"query parameter {name} must be between {low} and {high}")
    return value


class AdminApi:
    """The admin and analytics routes; the router only delegates here."""

    def __init__(
        self,
        *,
        gate: AdminGate,
        profile: AgentProfile,
        settings: Settings,
        store: MemoryStore,
        identity: CallerIdentity,
        archive: Archive,
        queue: Queue,
        analytics: Analytics,
        service: MemoryService,
        secret_status: Mapping[str, bool],
        clock: Clock = utc_now,
    ) -> None:
        self._gate = gate
        self._service = service.for_operators()  # an operator may name a caller by the stored pseudonym
        self._profile = profile
        self._settings = settings
        self._store = store
        self._identity = identity.for_operators()
        self._archive = archive
        self._queue = queue
        self._analytics = analytics
        self._secret_status = dict(secret_status)
        self._clock = clock

    @property
    def shut_because(self) -> str | None:
        """Why the admin API stays shut whatever key is sent (a misconfigured ``ADMIN_API_KEY``), or None."""
        return self._gate.problem

    @classmethod
    def build(
        cls,
        *,
        profile: AgentProfile,
        settings: Settings,
        secrets: SecretSource,
        store: MemoryStore,
        identity: CallerIdentity,
        archive: Archive,
        queue: Queue,
        analytics: Analytics,
        service: MemoryService,
        clock: Clock = utc_now,
    ) -> AdminApi:
        """An admin key that equals another secret keeps the admin API shut, a short one is warned of: at every
        start."""
        found = {name: secrets.get(name) for name in secret_names(profile, settings)}
        others = {name: secret for name, secret in found.items() if secret and name != "ADMIN_API_KEY"}
        gate = AdminGate(found.get("ADMIN_API_KEY"), other_secrets=others)
        if gate.problem:
            log.error("the admin API stays shut: %s", gate.problem)
        elif weakness := admin_key_weakness(found.get("ADMIN_API_KEY")):
            log.warning("%s", weakness)
        status = {name: secret is not None for name, secret in found.items()}
        return cls(
            gate=gate,
            profile=profile,
            settings=settings,
            store=store,
            identity=identity,
            archive=archive,
            queue=queue,
            analytics=analytics,
            service=service,
            secret_status=status,
            clock=clock,
        )

    def _user_id(self, raw: str) -> str:
        """Any spelling of the caller's number (URL-encoded or not), their web id, or the stored user id itself."""
        return self._identity.user_id(unquote(raw))

    def list_memories(self, request: Request, raw_user: str) -> Response:
        self._gate.require(request)
        user_id = self._user_id(raw_user)
        limit = int_param(request.query, "limit", default=DEFAULT_PAGE, low=1, high=MAX_PAGE)
        offset = int_param(request.query, "offset", default=0, low=0, high=10_000_000)
        # newer memories too: whether a value is past depends on the calls after it
        window = self._store.page(user_id, self._profile.name, now=self._clock(), limit=offset + limit + 1)
        past = past_values(window)
        page = window[offset:]
        more = len(page) > limit
        page = page[:limit]
        return Response.json(
            {
                "caller": mask(user_id),
                "agent_type": self._profile.name,
                "limit": limit,
                "offset": offset,
                "count": len(page),
                "next_offset": offset + limit if more else None,
                "memories": [memory_json(m, past) for m in page],
            }
        )

    def pre_call_preview(self, request: Request, raw_user: str) -> Response:
        """The pre-call answer for the caller's next call, computed as ``/client-data`` computes it (no writes)."""
        self._gate.require(request)
        user_id = self._user_id(raw_user)
        return Response.json(pre_call_preview(self._profile, self._service, unquote(raw_user), user_id))

    def search(self, request: Request, raw_user: str) -> Response:
        """What the in-call search tool would answer for ``?q=`` (no writes)."""
        self._gate.require(request)
        user_id = self._user_id(raw_user)
        return Response.json(
            search_preview(self._profile, self._service, unquote(raw_user), user_id, request.query.get("q"))
        )

    def erase(self, request: Request, raw_user: str) -> Response:
        """The caller under every id the store may hold them by (``CallerIdentity.stored_ids``): their pseudonym, and
        the plain number their memories and events from before pseudonymization was turned on are kept under."""
        self._gate.require(request)
        user_ids = self._identity.stored_ids(unquote(raw_user))
        erase = request_erasure if self._archive.lifecycle_managed else erase_caller
        erased = erase_ids(
            user_ids,
            erase,
            store=self._store,
            archive=self._archive,
            queue=self._queue,
            identity=self._identity,
            agent_type=self._profile.name,
            clock=self._clock,
        )
        return Response.json({"caller": mask(user_ids[0]), **erased.as_json()}, status=202 if erased.queued else 200)

    def user_analytics(self, request: Request, raw_user: str) -> Response:
        self._gate.require(request)
        return Response.json(self._analytics.user(self._user_id(raw_user)))

    def agent_analytics(self, request: Request) -> Response:
        self._gate.require(request)
        days = int_param(request.query, "days", default=30, low=1, high=3650)
        by = request.query.get("by") or ""
        if by not in ("", "variant"):
            raise BadRequest("query parameter by must be 'variant' or absent")
        return Response.json(self._analytics.variants(days) if by == "variant" else self._analytics.agent(days))

    def config(self, request: Request) -> Response:
        self._gate.require(request)
        return Response.json(self.effective_config())

    def effective_config(self) -> dict[str, Any]:
        """The running agent type as resolved (provider defaults filled in); secrets by name and status only."""
        profile = self._profile
        defaults = provider_class(profile.config.provider).defaults().field_mappings
        endpoints = {}
        for endpoint in ("client_data", "retrieve", "post_call"):
            paths = dict(defaults.get(endpoint, {}))
            paths.update(getattr(profile.config.field_mappings, endpoint))
            endpoints[endpoint] = {
                "enabled": profile.enabled(endpoint),
                "auth": profile.auth[endpoint].model_dump(mode="json", exclude_none=True),
                "field_mappings": paths,
            }
        settings = {"memory_backend": self._settings.memory_backend}
        if self._settings.memory_backend == "mem0":
            settings["mem0_host"] = self._settings.mem0_host
        return {
            "agent_type": profile.name,
            "provider": profile.config.provider,
            "response_format": profile.response_format,
            "settings": settings,
            "endpoints": endpoints,
            "ingest_events": list(profile.webhooks.ingest_events),
            "max_body_bytes": profile.webhooks.max_body_bytes,
            "max_post_call_bytes": profile.webhooks.max_post_call_bytes,
            "memory": profile.config.memory.model_dump(mode="json"),
            "archive_retention_days": profile.config.memory.archive_retention(),
            # deployed, the bucket's lifecycle rule (the stack's archiveRetentionDays) expires events, not the sweep
            "archive_expired_by": "bucket lifecycle" if self._archive.lifecycle_managed else "sweep",
            "response": profile.config.response.model_dump(mode="json"),
            "identity": profile.config.identity.model_dump(mode="json"),
            "analytics": profile.config.analytics.model_dump(mode="json"),
            "processors": profile.config.processors.model_dump(mode="json"),
            "experiments": {name: e.model_dump(mode="json") for name, e in profile.config.experiments.items()},
            "rollouts": {name: r.model_dump(mode="json") for name, r in profile.config.rollouts.items()},
            "secrets": {name: "set" if present else "missing" for name, present in sorted(self._secret_status.items())},
            "read_only": "change config/agent_types.json and deploy; the admin API never changes configuration",
        }
