"""``webhooks.ingest_events`` naming an event the platform never sends is refused: every call would be answered 200
and none remembered. A custom (generic) platform names its own event types."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.config.loader import load_agent_types
from shared.errors import ConfigError
from shared.profile import resolve_profile

ASSISTANT = {"assistant_id": "5f0c8a52-1111-4222-8333-444455556666"}


def profile(tmp_path: Path, agent: dict[str, Any]) -> Any:
    path = tmp_path / "agent_types.json"
    path.write_text(json.dumps({"version": 1, "agent_types": {"line": agent}}))
    return resolve_profile("line", load_agent_types(path).agent_types["line"])


@pytest.mark.parametrize(
    ("provider", "events", "extra"),
    [
        ("vapi", ["end_of_call_report"], {"response": ASSISTANT}),  # Vapi's type is hyphenated
        ("elevenlabs", ["post_call_transcript"], {}),
        ("elevenlabs", ["post_call_audio"], {}),  # audio carries no words to remember
        ("retell", ["call_analysed"], {}),
        ("retell", ["call_started"], {}),
    ],
)
def test_an_event_the_platform_never_sends_is_refused(
    tmp_path: Path, provider: str, events: list[str], extra: dict[str, Any]
) -> None:
    agent = {"provider": provider, "webhooks": {"ingest_events": events}, **extra}
    with pytest.raises(ConfigError) as caught:
        profile(tmp_path, agent)
    message = str(caught.value)
    assert "'line'" in message and "webhooks.ingest_events" in message and repr(events[-1]) in message


@pytest.mark.parametrize(
    ("provider", "events", "extra"),
    [
        ("vapi", ["end-of-call-report"], {"response": ASSISTANT}),
        ("elevenlabs", ["post_call_transcription"], {}),
        # an extra name beside one that is remembered matches nothing: no reason to stop every pre-call
        ("elevenlabs", ["post_call_transcription", "post_call_audio", "call_initiation_failure"], {}),
        ("retell", ["call_ended"], {}),
        ("generic", ["call_finished", "ivr.hangup"], {}),
    ],
)
def test_the_platform_s_own_events_and_any_custom_name_pass(
    tmp_path: Path, provider: str, events: list[str], extra: dict[str, Any]
) -> None:
    agent = {"provider": provider, "webhooks": {"ingest_events": events}, **extra}
    assert profile(tmp_path, agent).webhooks.ingest_events == events


def test_a_platform_s_own_check_names_the_file_too(tmp_path: Path) -> None:
    """``config validate`` and the service at start-up name the file, as every other config error does."""
    from shared.profile import load_profile

    path = tmp_path / "agent_types.json"
    path.write_text(json.dumps({"version": 1, "agent_types": {"line": {"provider": "vapi"}}}))  # no assistant_id
    with pytest.raises(ConfigError) as caught:
        load_profile("line", path)
    assert str(caught.value).startswith(f"{path}: agent type 'line': response.assistant_id")
