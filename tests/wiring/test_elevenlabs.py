"""ElevenLabs wiring against a fake ElevenLabs on a real socket: the exact requests, no change on a second
run, the agent restored by the undo, the platform's own error message, and the SDK sending the same bodies."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest

from functions.wiring import PLATFORMS, Endpoints, PlatformError, apply
from functions.wiring.elevenlabs import ElevenLabsTarget, api, tool_config, unwire, wire
from shared.secrets import Secret
from tests.fakes.elevenlabs_api import AGENT_ID, EXISTING_TOOL_ID, FakeElevenLabs, sample_agent

API_KEY = "xi-test-key-5c1d"
WORKSPACE_KEY = "leakcheck-elevenlabs-workspace-7f3a"
BASE = "https://memory.example.com"
ENDPOINTS = Endpoints(BASE)


@pytest.fixture
def fake() -> Iterator[FakeElevenLabs]:
    with FakeElevenLabs(API_KEY) as server:
        yield server


def target(**kwargs: object) -> ElevenLabsTarget:
    return ElevenLabsTarget(agent_id=AGENT_ID, workspace_key=Secret(WORKSPACE_KEY), **kwargs)  # type: ignore[arg-type]


def run(fake: FakeElevenLabs, state: dict | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
    with api(Secret(API_KEY), fake.url) as client:
        return wire(client, target(**kwargs), ENDPOINTS, state)


def test_first_run_sends_exactly_these_requests(fake: FakeElevenLabs) -> None:
    wired = run(fake)
    secret_id, hook_id, tool_id = "secret_fake0001", "wh_fake0002", "tool_fake0003"
    assert [(call.method, call.path) for call in fake.calls] == [
        ("GET", f"/v1/convai/agents/{AGENT_ID}"),
        ("POST", "/v1/convai/secrets"),
        ("POST", "/v1/workspace/webhooks"),
        ("POST", "/v1/convai/tools"),
        ("PATCH", f"/v1/convai/agents/{AGENT_ID}"),
    ]
    writes = fake.writes()
    assert writes[0].json == {"name": f"agentic_memory_{AGENT_ID}", "value": WORKSPACE_KEY, "type": "new"}
    assert writes[1].json == {
        "settings": {"auth_type": "hmac", "name": f"agentic-memory {AGENT_ID}", "webhook_url": f"{BASE}/post-call"}
    }
    assert writes[2].json == {"tool_config": tool_config(ENDPOINTS, secret_id)}
    tool = writes[2].json["tool_config"]
    assert tool["api_schema"]["url"] == f"{BASE}/retrieve"
    assert tool["api_schema"]["request_headers"] == {"X-Workspace-Key": {"secret_id": secret_id}}
    properties = tool["api_schema"]["request_body_schema"]["properties"]
    assert properties["caller_id"] == {"type": "string", "dynamic_variable": "system__caller_id"}
    assert "dynamic_variable" not in properties["query"]
    assert writes[3].json == {
        "platform_settings": {
            "workspace_overrides": {
                "conversation_initiation_client_data_webhook": {
                    "url": f"{BASE}/client-data",
                    "request_headers": {"X-Workspace-Key": {"secret_id": secret_id}},
                },
                "webhooks": {"post_call_webhook_id": hook_id, "events": ["transcript"]},
            },
            "overrides": {
                "enable_conversation_initiation_client_data_from_webhook": True,
                "conversation_config_override": {"agent": {"first_message": True}},
            },
        },
        "conversation_config": {"agent": {"prompt": {"tool_ids": [EXISTING_TOOL_ID, tool_id]}}},
    }
    assert wired.generated["ELEVENLABS_HMAC_KEY"].reveal() == fake.webhook_secrets[hook_id]
    assert WORKSPACE_KEY not in repr(wired.state) and API_KEY not in repr(wired.state)
    assert fake.webhook_secrets[hook_id] not in repr(wired.state)
    assert all(call.headers["xi-api-key"] == API_KEY for call in fake.calls)


def test_prompt_override_switch_only_when_the_answer_sends_a_prompt(fake: FakeElevenLabs) -> None:
    run(fake, first_message=False, prompt=True)
    switches = fake.writes()[-1].json["platform_settings"]["overrides"]["conversation_config_override"]
    assert switches == {"agent": {"prompt": {"prompt": True}}}


def test_second_run_sends_no_change(fake: FakeElevenLabs) -> None:
    first = run(fake)
    fake.calls.clear()
    second = run(fake, first.state)
    assert fake.writes() == []
    assert second.changes == [] and second.generated == {}
    assert second.state == first.state


def test_rotated_workspace_key_updates_only_the_secret(fake: FakeElevenLabs) -> None:
    first = run(fake)
    fake.calls.clear()
    with api(Secret(API_KEY), fake.url) as client:
        rotated = ElevenLabsTarget(agent_id=AGENT_ID, workspace_key=Secret("leakcheck-rotated-0b9e"))
        wire(client, rotated, ENDPOINTS, first.state)
    assert [(call.method, call.path, call.json) for call in fake.writes()] == [
        (
            "PATCH",
            "/v1/convai/secrets/secret_fake0001",
            {"name": f"agentic_memory_{AGENT_ID}", "value": "leakcheck-rotated-0b9e", "type": "update"},
        )
    ]


def test_new_url_replaces_the_webhook_and_updates_tool_and_agent(fake: FakeElevenLabs) -> None:
    first = run(fake)
    fake.calls.clear()
    moved = Endpoints("https://moved.example.com")
    with api(Secret(API_KEY), fake.url) as client:
        second = wire(client, target(), moved, first.state)
    assert [(call.method, call.path) for call in fake.writes()] == [
        ("DELETE", "/v1/workspace/webhooks/wh_fake0002"),
        ("POST", "/v1/workspace/webhooks"),
        ("PATCH", "/v1/convai/tools/tool_fake0003"),
        ("PATCH", f"/v1/convai/agents/{AGENT_ID}"),
    ]
    assert "ELEVENLABS_HMAC_KEY" in second.generated
    agent = fake.agents[AGENT_ID]["platform_settings"]["workspace_overrides"]
    assert agent["conversation_initiation_client_data_webhook"]["url"] == "https://moved.example.com/client-data"
    assert agent["webhooks"]["post_call_webhook_id"] == "wh_fake0004"


def test_undo_restores_the_agent_and_deletes_what_was_created(fake: FakeElevenLabs) -> None:
    original = copy.deepcopy(fake.agents[AGENT_ID])
    first = run(fake)
    run(fake, first.state)  # a second run must not overwrite what the undo restores
    with api(Secret(API_KEY), fake.url) as client:
        unwire(client, first.state)
    restored = fake.agents[AGENT_ID]
    assert restored["conversation_config"] == original["conversation_config"]
    assert restored["platform_settings"]["overrides"] == original["platform_settings"]["overrides"]
    overrides = restored["platform_settings"]["workspace_overrides"]
    assert overrides["webhooks"] == original["platform_settings"]["workspace_overrides"]["webhooks"]
    assert overrides.get("conversation_initiation_client_data_webhook") is None
    assert fake.tools == {} and fake.secrets == {} and fake.webhooks == {}


def test_platform_error_fails_with_its_message_and_creates_nothing(fake: FakeElevenLabs) -> None:
    with api(Secret(API_KEY), fake.url) as client, pytest.raises(PlatformError) as caught:
        wire(client, ElevenLabsTarget(agent_id="agent_missing", workspace_key=Secret(WORKSPACE_KEY)), ENDPOINTS)
    assert caught.value.status == 404
    assert "Agent agent_missing was not found" in str(caught.value)
    assert fake.writes() == []


def test_wrong_key_fails_closed_without_showing_it(fake: FakeElevenLabs) -> None:
    with api(Secret("xi-wrong-key-9e2a"), fake.url) as client, pytest.raises(PlatformError) as caught:
        wire(client, target(), ENDPOINTS)
    assert caught.value.status == 401 and "Invalid API key" in str(caught.value)
    assert "xi-wrong-key-9e2a" not in str(caught.value)


def test_the_fake_answers_are_valid_sdk_response_models(fake: FakeElevenLabs) -> None:
    from elevenlabs.types import GetAgentResponseModel, ToolResponseModel, WorkspaceWebhookListResponseModel

    run(fake)
    GetAgentResponseModel.model_validate(fake.agents[AGENT_ID])
    ToolResponseModel.model_validate(fake.get_tool(None, "tool_fake0003")[1])
    WorkspaceWebhookListResponseModel.model_validate(fake.list_webhooks(None)[1])
    assert sample_agent()["agent_id"] == AGENT_ID


def test_the_official_sdk_sends_the_same_bodies(fake: FakeElevenLabs) -> None:
    """Each body the wiring sends, parsed by the SDK's request model and sent by the SDK, is byte-for-byte ours."""
    from elevenlabs import ElevenLabs
    from elevenlabs.types import (
        AgentPlatformSettingsRequestModel,
        ConversationalConfig,
        ToolRequestModel,
        WebhookHmacSettings,
    )

    run(fake)
    ours = {(call.method, call.path): call.json for call in fake.writes()}
    fake.calls.clear()
    sdk = ElevenLabs(api_key=API_KEY, base_url=fake.url)
    secret = ours[("POST", "/v1/convai/secrets")]
    sdk.conversational_ai.secrets.create(name=secret["name"], value=secret["value"])
    sdk.webhooks.create(settings=WebhookHmacSettings(**ours[("POST", "/v1/workspace/webhooks")]["settings"]))
    sdk.conversational_ai.tools.create(request=ToolRequestModel.model_validate(ours[("POST", "/v1/convai/tools")]))
    agent_patch = ours[("PATCH", f"/v1/convai/agents/{AGENT_ID}")]
    sdk.conversational_ai.agents.update(
        AGENT_ID,
        platform_settings=AgentPlatformSettingsRequestModel.model_validate(agent_patch["platform_settings"]),
        conversation_config=ConversationalConfig.model_validate(agent_patch["conversation_config"]),
    )
    sent = {(call.method, call.path): call.json for call in fake.writes()}
    assert sent[("POST", "/v1/convai/secrets")] == secret
    assert sent[("POST", "/v1/workspace/webhooks")] == ours[("POST", "/v1/workspace/webhooks")]
    assert sent[("POST", "/v1/convai/tools")] == ours[("POST", "/v1/convai/tools")]
    sdk_patch = sent[("PATCH", f"/v1/convai/agents/{AGENT_ID}")]
    assert sdk_patch["platform_settings"] == agent_patch["platform_settings"]
    assert sdk_patch["conversation_config"] == agent_patch["conversation_config"]


def test_a_first_run_failing_part_way_leaves_nothing_behind(fake: FakeElevenLabs) -> None:
    original = copy.deepcopy(fake.agents[AGENT_ID])
    fake.refuse_agent_patch = "Override of first_message is not allowed on this plan"
    with api(Secret(API_KEY), fake.url) as client, pytest.raises(PlatformError) as caught:
        apply(PLATFORMS["elevenlabs"], client, target(), ENDPOINTS, None)
    assert "Override of first_message is not allowed on this plan" in str(caught.value)
    assert fake.tools == {} and fake.secrets == {} and fake.webhooks == {}
    assert fake.agents[AGENT_ID] == original


def test_audio_events_and_a_partial_transcript_do_not_follow_our_webhook(fake: FakeElevenLabs) -> None:
    """The agent sent another team's webhook the audio and an OpenTelemetry transcript without its turns: ours gets
    the JSON transcript whole and no audio (a 413 each, and ElevenLabs disables the webhook); the undo restores."""
    webhooks = {
        "post_call_webhook_id": "wh_crm_0001",
        "events": ["audio", "transcript", "call_initiation_failure"],
        "transcript_format": "opentelemetry",
        "exclude_transcript": True,
    }
    fake.agents[AGENT_ID]["platform_settings"]["workspace_overrides"]["webhooks"] = copy.deepcopy(webhooks)
    fake.webhooks["wh_crm_0001"] = {
        "name": "crm",
        "webhook_id": "wh_crm_0001",
        "webhook_url": "https://crm.example.com/hook",
        "is_disabled": False,
        "is_auto_disabled": False,
        "created_at_unix": 1767225600,
        "auth_type": "hmac",
    }
    wired = run(fake)
    ours = fake.agents[AGENT_ID]["platform_settings"]["workspace_overrides"]["webhooks"]
    assert ours["events"] == ["transcript", "call_initiation_failure"]
    assert ours["transcript_format"] == "json" and ours["exclude_transcript"] is False
    assert any("wh_crm_0001 is replaced" in note for note in wired.notes)
    assert any("audio" in note and "413" in note for note in wired.notes)
    assert run(fake, wired.state).changes == []
    with api(Secret(API_KEY), fake.url) as client:
        unwire(client, wired.state)
    assert fake.agents[AGENT_ID]["platform_settings"]["workspace_overrides"]["webhooks"] == webhooks


def test_another_services_initiation_headers_are_not_sent_to_ours(fake: FakeElevenLabs) -> None:
    """The agent's initiation webhook was a CRM's with its token: ours does not inherit the token (a PATCH merges
    headers), and the undo puts the CRM's webhook back with it."""
    theirs = {
        "url": "https://crm.example.com/init?token=crm-url-token-7",
        "request_headers": {"X-Crm-Token": "crm-token-2"},
    }
    fake.agents[AGENT_ID]["platform_settings"]["workspace_overrides"]["conversation_initiation_client_data_webhook"] = (
        copy.deepcopy(theirs)
    )
    wired = run(fake)
    assert any("initiation webhook on crm.example.com is replaced" in note for note in wired.notes)
    assert not any("crm-url-token-7" in note for note in wired.notes)  # a URL's token is not printed
    overrides = fake.agents[AGENT_ID]["platform_settings"]["workspace_overrides"]
    headers = overrides["conversation_initiation_client_data_webhook"]["request_headers"]
    assert {name: value for name, value in headers.items() if value is not None} == {
        "X-Workspace-Key": {"secret_id": wired.state["secret_id"]}
    }
    assert run(fake, wired.state).changes == []
    with api(Secret(API_KEY), fake.url) as client:
        unwire(client, wired.state)
    restored = fake.agents[AGENT_ID]["platform_settings"]["workspace_overrides"]
    webhook = restored["conversation_initiation_client_data_webhook"]
    assert webhook["url"] == theirs["url"] and webhook["request_headers"]["X-Crm-Token"] == "crm-token-2"
