"""The bundle's Cloud Functions targets loaded as Cloud Functions loads them: ``functions_framework.create_app``
over ``main.py``.

``create_app`` writes ``FUNCTION_TARGET`` and ``FUNCTION_SIGNATURE_TYPE`` into ``os.environ`` and never removes
them; left behind, they make every later ``agentic-memory serve`` of the session (functions-framework underneath)
serve that target instead of its own. The test's ``monkeypatch`` takes them back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import functions_framework
import pytest

MAIN = Path(__file__).resolve().parents[2] / "main.py"
LEAKED = ("FUNCTION_TARGET", "FUNCTION_SIGNATURE_TYPE")


def target_app(target: str, signature_type: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    for name in LEAKED:
        monkeypatch.setenv(name, "")  # recorded now, so the test's teardown restores the environment
    return functions_framework.create_app(target, str(MAIN), signature_type)
