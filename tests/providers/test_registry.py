"""A new platform is one provider module plus its registry line and config: nothing else branches on a platform.

Checked three ways: every registry entry resolves to a complete provider; no code outside ``shared/providers/``
compares anything with a platform name or a platform message type, or imports a concrete provider; and a
provider that exists only in a temporary module is resolved, defaulted and served through the same core.
"""

from __future__ import annotations

import ast
import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest

from shared.auth import SCHEMES
from shared.config.models import ENDPOINTS, AgentType, ProviderName, ResponseConfig, SecretName
from shared.providers import PROVIDERS, provider_class
from shared.providers.base import Operation, Provider, ProviderDefaults

REPO = Path(__file__).resolve().parents[2]
CODE_ROOTS = ("shared", "functions", "infra")
PROVIDER_PACKAGE = REPO / "shared" / "providers"
# the words a platform-specific branch would test for: platform names and the platforms' own message types
PLATFORM_WORDS = frozenset(PROVIDERS) | {
    "assistant-request",
    "tool-calls",
    "end-of-call-report",
    "call_inbound",
    "call_analyzed",
    "call_started",
    "call_ended",
    "post_call_transcription",
    "conversation_initiation_client_data",
}


def code_files() -> Iterator[Path]:
    for root in CODE_ROOTS:
        for path in sorted((REPO / root).rglob("*.py")):
            if PROVIDER_PACKAGE not in path.parents:
                yield path


def _strings(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def platform_branches(source: str) -> list[tuple[int, str]]:
    """Comparisons, membership tests and ``match`` cases that involve a platform word."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            found += [(node.lineno, word) for word in sorted(_strings(node) & PLATFORM_WORDS)]
        elif isinstance(node, ast.match_case):
            found += [(node.pattern.lineno, word) for word in sorted(_strings(node.pattern) & PLATFORM_WORDS)]
    return sorted(found)


def concrete_provider_imports(source: str) -> list[str]:
    modules = {f"shared.providers.{name}" for name in PROVIDERS} | {
        spec.partition(":")[0] for spec in PROVIDERS.values()
    }
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module in modules:
                found.append(node.module)
            if node.module == "shared.providers":
                found += [f"shared.providers.{a.name}" for a in node.names if f"shared.providers.{a.name}" in modules]
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name in modules]
    return found


def test_the_scan_finds_what_it_looks_for() -> None:
    """The scanner itself: a test that could never fail proves nothing."""
    sample = textwrap.dedent(
        """
        if profile.provider == "vapi":
            pass
        elif name in ("retell", "x"):
            pass
        match kind:
            case "end-of-call-report":
                pass
        ok = table.get("vapi")
        from shared.providers.retell import RetellProvider
        import shared.providers.vapi
        """
    )
    assert [word for _, word in platform_branches(sample)] == ["vapi", "retell", "end-of-call-report"]
    assert sorted(concrete_provider_imports(sample)) == ["shared.providers.retell", "shared.providers.vapi"]


@pytest.mark.parametrize("path", list(code_files()), ids=lambda p: str(p.relative_to(REPO)))
def test_no_platform_branches_or_provider_imports_outside_the_registry(path: Path) -> None:
    source = path.read_text()
    assert platform_branches(source) == [], f"{path.relative_to(REPO)} branches on a platform"
    assert concrete_provider_imports(source) == [], f"{path.relative_to(REPO)} imports a concrete provider"


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_every_registry_entry_resolves_to_a_complete_provider(name: str) -> None:
    cls = provider_class(name)
    assert issubclass(cls, Provider) and not getattr(cls, "__abstractmethods__", None)
    assert cls.name == name
    defaults = cls.defaults()
    assert isinstance(defaults, ProviderDefaults)
    assert set(defaults.auth) == set(ENDPOINTS)
    for auth in defaults.auth.values():
        assert auth.scheme in SCHEMES
        assert auth.secret in get_args(SecretName)
    assert defaults.webhooks.ingest_events, "a provider must say which post-call event it remembers"
    assert defaults.response_format in get_args(ResponseConfig.model_fields["format"].annotation)[0].__args__
    assert set(defaults.field_mappings) <= set(ENDPOINTS)


def test_registry_and_config_name_the_same_providers() -> None:
    assert set(PROVIDERS) == set(get_args(ProviderName))


def test_unknown_provider_is_a_clear_config_error() -> None:
    from shared.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown provider"):
        provider_class("acme")


def test_shipped_examples_exist_for_vapi_and_retell() -> None:
    config = json.loads((REPO / "config" / "agent_types.json").read_text())
    providers = {name: entry["provider"] for name, entry in config["agent_types"].items()}
    assert providers["vapi_receptionist"] == "vapi"
    assert providers["retell_appointments"] == "retell"


ACME = '''
"""A made-up platform: proves a provider plugs in through the registry alone."""
from typing import Any
from shared.config.models import EndpointAuth, WebhooksConfig
from shared.providers.base import (CallerContext, PostCallEvent, PreCallRequest, Provider, ProviderDefaults,
                                   ToolAnswer, ToolCall, ToolRequest)


class AcmeProvider(Provider):
    name = "acme"

    @classmethod
    def defaults(cls) -> ProviderDefaults:
        key = EndpointAuth(scheme="header", header="X-Acme-Key", secret="GENERIC_API_KEY")
        return ProviderDefaults(
            auth={"client_data": key, "retrieve": key, "post_call": key},
            webhooks=WebhooksConfig(ingest_events=["hangup"]),
            field_mappings={"client_data": {"caller_id": ["who"]}},
            response_format="generic_v1",
        )

    def parse_pre_call(self, payload: Any, fields: Any) -> PreCallRequest:
        return PreCallRequest(caller=fields.text(payload, "caller_id"))

    def format_pre_call(self, context: CallerContext, *, agent: Any) -> dict[str, Any]:
        return {"acme": context.variables()}

    def parse_tool(self, payload: Any, fields: Any) -> ToolRequest:
        return ToolRequest(caller=payload["who"], calls=[ToolCall(query=payload["q"])])

    def format_tool(self, answers: list[ToolAnswer]) -> dict[str, Any]:
        return {"acme": answers[0].as_text()}

    def parse_post_call(self, payload: Any, fields: Any, ingest_events: list[str]) -> PostCallEvent:
        return PostCallEvent(idempotency_key="hangup:" + payload["id"], event_type="hangup", ingest=True,
                             caller=payload["who"], conversation_id=payload["id"], summary=payload["summary"])
'''


def test_a_new_provider_plugs_in_through_the_registry_alone(tmp_path: Path, monkeypatch: Any) -> None:
    from shared.identity import CallerIdentity
    from shared.memory.manager import MemoryManager
    from shared.memory.sqlite import SqliteMemoryStore
    from shared.profile import resolve_profile
    from shared.service import MemoryService

    (tmp_path / "acme_platform.py").write_text(ACME)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(PROVIDERS, "acme", "acme_platform:AcmeProvider")
    try:
        config = AgentType.model_validate({"provider": "generic"}).model_copy(update={"provider": "acme"})
        profile = resolve_profile("acme_line", config)
        assert profile.provider.name == "acme"
        assert profile.auth["retrieve"].header == "X-Acme-Key"
        assert profile.webhooks.ingest_events == ["hangup"]
        assert profile.provider.operation(Operation.TOOL, {}) is Operation.TOOL
        store = SqliteMemoryStore(tmp_path / "memories.db")
        try:
            service = MemoryService(profile, MemoryManager(store, profile.name, config.memory), CallerIdentity())
            event = profile.provider.parse_post_call(
                {"id": "c1", "who": "+15555550123", "summary": "Asked about the acme plan."}, None, ["hangup"]
            )
            assert service.remember(event) == 1
            request = profile.provider.parse_pre_call({"who": "+15555550123"}, profile.fields["client_data"])
            context = service.pre_call(request)
            assert profile.provider.format_pre_call(context, agent=config)["acme"]["returning_caller"] == "yes"
        finally:
            store.close()
    finally:
        sys.modules.pop("acme_platform", None)
