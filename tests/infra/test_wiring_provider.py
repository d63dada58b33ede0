"""The wiring's dynamic provider itself (its create never runs under mocks): create, diff, update and delete
against the fake ElevenLabs over HTTP, and the provider surviving Pulumi's own serialization."""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator
from typing import Any

import dill
import pytest
from pulumi.dynamic.dynamic import serialize_provider

from functions.wiring import PlatformError
from infra.wiring.providers import WiringProvider
from tests.fakes.elevenlabs_api import AGENT_ID, FakeElevenLabs

API_KEY = "xi-provider-key-0f3c"


@pytest.fixture
def fake() -> Iterator[FakeElevenLabs]:
    with FakeElevenLabs(API_KEY) as server:
        yield server


def props(fake: FakeElevenLabs, base_url: str = "https://stack.example.com") -> dict[str, Any]:
    return {
        "agent_id": AGENT_ID,
        "api_key": API_KEY,
        "api_url": fake.url,
        "workspace_key": "leakcheck-elevenlabs-workspace-7f3a",
        "first_message": True,
        "prompt": False,
        "base_url": base_url,
    }


def test_create_diff_update_delete(fake: FakeElevenLabs) -> None:
    original = copy.deepcopy(fake.agents[AGENT_ID])
    provider = WiringProvider("elevenlabs")
    created = provider.create(props(fake))
    assert created.id == f"elevenlabs-{AGENT_ID}"
    outs = created.outs or {}
    assert outs["webhook_secret"] == fake.webhook_secrets["wh_fake0002"]
    assert outs["state"]["tool_id"] == "tool_fake0003"

    same = provider.diff(created.id, outs, props(fake))
    assert same.changes is False and same.replaces == []
    moved = provider.diff(created.id, outs, props(fake, "https://moved.example.com"))
    assert moved.changes is True and moved.replaces == []
    other_agent = provider.diff(created.id, outs, {**props(fake), "agent_id": "agent_other"})
    assert other_agent.replaces == ["agent_id"] and other_agent.delete_before_replace

    fake.calls.clear()
    updated = provider.update(created.id, outs, props(fake)).outs or {}
    assert fake.writes() == []  # an update with nothing different sends nothing
    assert updated["webhook_secret"] == outs["webhook_secret"]  # kept: ElevenLabs shows it only once

    provider.delete(created.id, updated)
    assert fake.agents[AGENT_ID]["conversation_config"] == original["conversation_config"]
    assert fake.tools == {} and fake.webhooks == {} and fake.secrets == {}


def test_a_platform_error_fails_the_resource_with_the_platform_message(fake: FakeElevenLabs) -> None:
    with pytest.raises(PlatformError, match="Agent agent_missing was not found"):
        WiringProvider("elevenlabs").create({**props(fake), "agent_id": "agent_missing"})


@pytest.mark.parametrize("platform", ["elevenlabs", "vapi", "retell"])
def test_the_provider_survives_pulumi_serialization(platform: str) -> None:
    provider = dill.loads(base64.b64decode(serialize_provider(WiringProvider(platform))))
    assert isinstance(provider, WiringProvider) and provider.platform == platform
