"""The console driven as a person drives it (type, press Enter, click), and invented calls to look at."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from tests.conftest import CALLER, OTHER_CALLER, TEST_SECRETS, elevenlabs_post_call, sign_elevenlabs

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Request

ADMIN_KEY = TEST_SECRETS["ADMIN_API_KEY"]
ADMIN = {"X-Admin-Key": ADMIN_KEY}
DAY = 86_400

# Dana calls twice (her surname changed in between), another caller once: a returning caller, a past field value.
CALLS = (
    {
        "caller": CALLER,
        "conversation_id": "conv_console_1",
        "name": "Dana Whitfield",
        "summary": "Dana asked to move her cleaning to next week; prefers afternoon slots.",
        "user_turns": ("I need to push it to next week.", "My dog Biscuit has surgery on Monday."),
        "days_ago": 3,
    },
    {
        "caller": CALLER,
        "conversation_id": "conv_console_2",
        "name": "Dana Ortiz",
        "summary": "Dana confirmed the Thursday afternoon cleaning and gave her new surname, Ortiz.",
        "user_turns": ("It's Ortiz now, I got married.", "Thursday at two works."),
        "days_ago": 1,
    },
    {
        "caller": OTHER_CALLER,
        "conversation_id": "conv_console_3",
        "name": "Sam Okafor",
        "summary": "Sam asked about the bill for the November deep clean.",
        "user_turns": ("Why was I billed twice for November?",),
        "days_ago": 0,
    },
)


def post_calls(base: str, calls: tuple[dict[str, Any], ...] = CALLS, *, now: float | None = None) -> None:
    """Signed post-call events, then waits until the service's worker has turned each into memories."""
    now = time.time() if now is None else now
    with httpx.Client(base_url=base, timeout=10) as http:
        for call in calls:
            options = {k: v for k, v in call.items() if k not in ("days_ago", "echo")}
            event = elevenlabs_post_call(**options, started=int(now - call["days_ago"] * DAY - 600))
            # what the platform sends back of the pre-call answer (the variant, for the experiments' figures)
            event["data"]["conversation_initiation_client_data"]["dynamic_variables"].update(call.get("echo") or {})
            body = json.dumps(event).encode()
            headers = {"ElevenLabs-Signature": sign_elevenlabs(body), "Content-Type": "application/json"}
            assert http.post("/post-call", content=body, headers=headers).status_code == 200
        wanted = {c["caller"]: sum(1 for d in calls if d["caller"] == c["caller"]) for c in calls}
        deadline = time.monotonic() + 20
        while True:
            calls_seen = {
                caller: http.get(f"/analytics/users/{caller}", headers=ADMIN).json().get("calls", 0)
                for caller in wanted
            }
            if calls_seen == wanted:
                return
            assert time.monotonic() < deadline, f"the worker did not remember the calls: {calls_seen}"
            time.sleep(0.05)


@dataclass
class Console:
    """One tab of the console; records every request it makes, to check where the key went."""

    context: BrowserContext
    base: str
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.context.on("request", lambda request: self.requests.append(request))
        self.page: Page = self.context.new_page()

    def open(self) -> Console:
        self.page.goto(f"{self.base}/console")
        self.page.locator("#admin-key").wait_for()
        return self

    def sign_in(self, key: str = ADMIN_KEY) -> None:
        self.page.locator("#admin-key").fill(key)
        self.page.locator("#admin-key").press("Enter")

    def signed_in(self) -> None:
        self.page.locator("#nav").wait_for(state="visible")

    def look_up(self, typed: str) -> None:
        page = self.page
        page.locator("#caller-number").fill(typed)
        page.locator("#caller-number").press("Enter")
        page.wait_for_function("() => document.getElementById('caller-status').textContent.startsWith('Found')")

    def preview(self) -> Any:
        return json.loads(self.page.locator("#preview-json").text_content() or "null")

    def search(self, question: str) -> Any:
        page = self.page
        page.locator("#search-query").fill(question)
        page.locator("#search-query").press("Enter")
        page.locator("#search-result").wait_for(state="visible")
        return json.loads(page.locator("#search-json").text_content() or "null")

    def memory_rows(self) -> list[list[str]]:
        rows = self.page.locator("#memories tbody tr")
        return [[cell.strip() for cell in rows.nth(i).locator("td").all_inner_texts()] for i in range(rows.count())]

    def go(self, name: str) -> None:
        """Follows a navigation link with the keyboard."""
        link = self.page.locator(f"#nav a[data-page={name}]")
        link.focus()
        link.press("Enter")
        self.page.locator(f"#page-{name}").wait_for(state="visible")

    def erase(self) -> dict[str, str]:
        page = self.page
        page.locator("#erase-open").click()
        page.locator("#erase-dialog").wait_for(state="visible")
        page.locator("#erase-confirm").click()
        page.locator("#erase-receipt").wait_for(state="visible")
        terms = page.locator("#erase-receipt-list dt").all_inner_texts()
        values = page.locator("#erase-receipt-list dd").all_inner_texts()
        return dict(zip(terms, values, strict=True))

    def analytics_chart(self) -> dict[str, Any]:
        chart = self.page.locator("#calls-chart svg")
        chart.wait_for()
        return {
            "points": int(chart.get_attribute("data-points") or 0),
            "total": int(chart.get_attribute("data-total") or 0),
            "bars": chart.locator("rect.bar").count(),
            "titles": chart.locator("rect.bar title").all_text_contents(),
        }

    def stored(self) -> dict[str, Any]:
        """Everything a script or the browser keeps for the page's origin."""
        kept = self.page.evaluate(
            """async () => ({
                local: localStorage.length, session: sessionStorage.length, cookie: document.cookie,
                indexed: (await indexedDB.databases()).length, caches: (await caches.keys()).length,
            })"""
        )
        state = self.context.storage_state()
        return {**kept, "cookies": state["cookies"], "origins": state["origins"]}
