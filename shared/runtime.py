"""Composition root: settings, secrets and ports in, a ready ``App`` and ``IngestWorker`` out.

Every cloud edge (``functions/``) builds its ports from its own environment and calls ``build_runtime``
once per cold start; the core never knows which cloud it runs on.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.admin import AdminApi
from shared.analytics import Analytics
from shared.app import App
from shared.auth import build_verifier
from shared.clock import Clock, utc_now
from shared.experiments.plan import ExperimentPlan, declared_variants
from shared.identity import CallerIdentity
from shared.ingest.intake import PostCallIntake
from shared.ingest.ports import Archive, Queue
from shared.ingest.worker import IngestWorker
from shared.keyed_hash import caller_ref_key
from shared.library_logs import quiet_libraries
from shared.memory.backends import build_store
from shared.memory.manager import MemoryManager
from shared.memory.store import MemoryStore
from shared.processors.registry import load as load_processors
from shared.processors.runner import Processors
from shared.profile import AgentProfile, load_profile
from shared.retention import RetentionSweeper
from shared.secrets import SecretSource
from shared.service import MemoryService
from shared.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    profile: AgentProfile
    store: MemoryStore
    service: MemoryService
    archive: Archive
    queue: Queue
    intake: PostCallIntake
    worker: IngestWorker
    app: App
    clock: Clock = utc_now

    def sweep(self) -> dict[str, int]:
        """The retention sweep: delete what is past its retention. Idempotent; returns what it deleted."""
        memory = self.profile.config.memory
        return RetentionSweeper(self.store, self.archive, self.profile.name, memory, clock=self.clock).run().as_dict()


def experiment_plan(profile: AgentProfile, secrets: SecretSource) -> ExperimentPlan:
    """Variants are keyed by the stack's caller-reference key (``variant:<experiment>`` as the purpose).

    Raises ``ConfigError`` when experiments run and the key is missing or too short."""
    config = profile.config
    key = caller_ref_key(secrets) if config.experiments or config.rollouts else None
    return ExperimentPlan(profile.name, config, key)


def build_runtime(
    settings: Settings,
    *,
    secrets: SecretSource,
    archive: Archive,
    queue: Queue,
    store: MemoryStore | None = None,
    pending_archive: Archive | None = None,
    clock: Clock = utc_now,
) -> Runtime:
    """Raises ``ConfigError`` for an unknown agent type or a secret an enabled endpoint needs."""
    quiet_libraries()  # before the first secret is read: botocore would log its value at DEBUG
    profile = load_profile(settings.agent_type, settings.config_path)
    verifiers = {
        endpoint: build_verifier(profile.auth[endpoint], secrets, endpoint=endpoint)
        for endpoint in ("client_data", "retrieve", "post_call")
        if profile.enabled(endpoint)
    }
    identity = CallerIdentity.from_profile(profile, secrets)
    store = store if store is not None else build_store(settings, secrets, pending_archive=pending_archive)
    manager = MemoryManager(store, profile.name, profile.config.memory, clock=clock)
    processors = Processors(profile.name, load_processors(profile.name, profile.config))
    plan = experiment_plan(profile, secrets)
    service = MemoryService(profile, manager, identity, clock=clock, plan=plan, processors=processors)
    intake = PostCallIntake(profile, archive, queue, identity, clock=clock)
    worker = IngestWorker(profile, archive, service, queue)
    analytics = Analytics(
        store, profile.name, profile.config.analytics, clock=clock, declared=declared_variants(profile.config)
    )
    admin = AdminApi.build(
        profile=profile,
        settings=settings,
        secrets=secrets,
        store=store,
        identity=identity,
        archive=archive,
        queue=queue,
        analytics=analytics,
        service=service,
        clock=clock,
    )
    app = App(profile, service, intake, verifiers, admin=admin, clock=clock)
    return Runtime(settings, profile, store, service, archive, queue, intake, worker, app, clock)
