"""The local data dir (``serve``, the CLI): what it generates and how it keeps it."""

from __future__ import annotations

import json
from pathlib import Path

from functions.local import build_local
from shared.keyed_hash import MIN_KEY_CHARS
from shared.settings import Settings
from tests.conftest import CALLER, pseudonymizing_config

AGENT = "elevenlabs_customer_support"


def test_serve_generates_keys_long_enough_to_start_with(tmp_path: Path) -> None:
    """A pseudonymization key shorter than ``MIN_KEY_CHARS`` is refused at start-up: ``serve`` must not make one."""
    data_dir = tmp_path / "data"
    settings = Settings.from_environ(
        {}, agent_type=AGENT, data_dir=data_dir, config_path=pseudonymizing_config(tmp_path)
    )
    local = build_local(settings, environ={})
    try:
        generated = json.loads((data_dir / "secrets.json").read_text())
        assert len(generated["PSEUDONYMIZATION_KEY"]) >= MIN_KEY_CHARS
        assert len(generated["CALLER_REF_KEY"]) >= MIN_KEY_CHARS
        assert local.runtime.service.identity.user_id(CALLER).startswith("u_")
    finally:
        local.close()
