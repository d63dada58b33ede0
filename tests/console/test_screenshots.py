"""The console's screenshots in ``docs/images/`` (docs/console.md), taken from a real browser against ``serve``
with invented calls, on an agent type running an experiment. Run by hand after changing the console:

    .venv/bin/python -m pytest -m slow tests/console/test_screenshots.py
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_SECRETS
from tests.console.pages import CALLS, Console, post_calls
from tests.experiments.helpers import EXPERIMENT, write_config

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
WORKSPACE = {"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}

MORE_CALLS = tuple(
    {
        "caller": f"+1555555{number:04d}",
        "conversation_id": f"conv_demo_{number}_{days_ago}",
        "name": name,
        "summary": summary,
        "user_turns": (turn,),
        "days_ago": days_ago,
    }
    for number, name, summary, turn, days_ago in (
        (101, "Ines Laurent", "Ines asked for an invoice copy for October.", "Can you send the invoice again?", 12),
        (101, "Ines Laurent", "Ines reported the billing portal login fails.", "The login page says error.", 5),
        (102, "Marcus Bell", "Marcus booked a first deep clean for his flat.", "It's a two bedroom flat.", 9),
        (103, "Priya Nair", "Priya asked to cancel her plan at the end of the month.", "Please cancel.", 7),
        (103, "Priya Nair", "Priya changed her mind and kept the plan; asked for a discount.", "Any discount?", 2),
        (104, "Tom Eriksen", "Tom had a technical problem with the booking app.", "The app crashes.", 4),
        (105, "Aiko Tanaka", "Aiko asked about weekend availability.", "Do you work Saturdays?", 0),
    )
)


@pytest.mark.slow
def test_screenshots_of_each_page(serve: Any, browser_context: Any, tmp_path: Path) -> None:
    served = serve(extra_args=["--config", str(write_config(tmp_path, experiments={"recall": EXPERIMENT}))])
    variables = {}  # each caller's pre-call variables, echoed back after the call as the platform does
    with httpx.Client(base_url=served.url, timeout=10) as http:
        for caller in sorted({call["caller"] for call in (*CALLS, *MORE_CALLS)}):
            answer = http.post("/client-data", json={"caller_id": caller}, headers=WORKSPACE)
            variables[caller] = answer.json()["dynamic_variables"]
    post_calls(served.url, tuple({**call, "echo": variables[call["caller"]]} for call in (*CALLS, *MORE_CALLS)))
    IMAGES.mkdir(parents=True, exist_ok=True)
    console = Console(browser_context, served.url).open()
    page = console.page

    def shot(name: str) -> None:
        page.screenshot(path=str(IMAGES / f"console-{name}.png"), full_page=True)

    shot("sign-in")
    console.sign_in()
    console.signed_in()
    console.look_up("(555) 555-0123")
    console.search("what is the dog called")
    page.locator("#caller-number").focus()
    shot("caller")

    console.go("analytics")
    console.analytics_chart()
    page.locator("#variants").wait_for(state="visible")
    shot("analytics")
    console.go("config")
    shot("config")

    console.go("caller")
    page.locator("#erase-open").click()
    page.locator("#erase-dialog").wait_for(state="visible")
    page.screenshot(path=str(IMAGES / "console-erase-confirm.png"))
    page.locator("#erase-confirm").click()
    page.locator("#erase-receipt").wait_for(state="visible")
    shot("erased")
    assert sorted(p.name for p in IMAGES.glob("console-*.png")) == [
        "console-analytics.png",
        "console-caller.png",
        "console-config.png",
        "console-erase-confirm.png",
        "console-erased.png",
        "console-sign-in.png",
    ]
