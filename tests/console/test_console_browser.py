"""Issue 16, Must show 1: the console in a real browser against ``agentic-memory serve`` over HTTP.

Sign in, look a caller up in another number format, the preview equals what ``/client-data`` then answers, a search
equals what ``/retrieve`` answers, past field values marked, the analytics chart drawn, an erase after which the
caller is new; a wrong key asks again; the key appears in no URL, no storage and no other header.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.conftest import CALLER, TEST_SECRETS
from tests.console.pages import ADMIN, ADMIN_KEY, Console, post_calls
from tests.experiments.helpers import EXPERIMENT, write_config

WORKSPACE = {"X-Workspace-Key": TEST_SECRETS["ELEVENLABS_WORKSPACE_KEY"]}
TYPED = "(555) 555-0123"  # CALLER as a person types it; the calls came in as +15555550123


def client_data(base: str, caller: str) -> Any:
    body = {"caller_id": caller, "agent_id": "agent_1", "called_number": "+15555550100", "call_sid": "CA1"}
    answer = httpx.post(f"{base}/client-data", json=body, headers=WORKSPACE, timeout=10)
    assert answer.status_code == 200
    return answer.json()


def assert_key_kept_in_memory_only(console: Console, base: str) -> None:
    origin = urlsplit(base).netloc
    assert console.requests, "the console made no request"
    for request in console.requests:
        assert urlsplit(request.url).netloc == origin, f"a request left the service: {request.url}"
        assert ADMIN_KEY not in request.url
        headers = request.headers
        carried = [name for name, value in headers.items() if ADMIN_KEY in value]
        if carried:  # only the admin API gets it, and only in its own header
            assert carried == ["x-admin-key"], carried
            assert urlsplit(request.url).path.startswith(("/admin/", "/analytics/")), request.url
    assert ADMIN_KEY not in console.page.url
    assert ADMIN_KEY not in console.page.content()
    assert console.stored() == {
        "local": 0, "session": 0, "cookie": "", "indexed": 0, "caches": 0, "cookies": [], "origins": []
    }  # fmt: skip


def test_look_up_preview_search_analytics_and_erase_in_a_browser(serve: Any, browser_context: Any) -> None:
    served = serve()
    post_calls(served.url)
    console = Console(browser_context, served.url).open()
    assert console.page.url == f"{served.url}/console/index.html"
    console.sign_in()
    console.signed_in()

    console.look_up(TYPED)
    assert console.page.locator("#caller-heading").inner_text() == f"Caller {TYPED}"
    preview = console.preview()
    assert preview == client_data(served.url, "+1 555-555-0123")  # what the platform gets next, to the byte
    variables = preview["dynamic_variables"]
    assert (variables["returning_caller"], variables["caller_name"]) == ("yes", "Dana Ortiz")
    assert variables["call_count"] == "2"
    assert "Dana Ortiz" in console.page.locator("#preview-summary").inner_text()

    rows = console.memory_rows()
    listed = httpx.get(f"{served.url}/admin/users/{CALLER}/memories", headers=ADMIN).json()
    assert [row[2] for row in rows] == [memory["text"] for memory in listed["memories"]] and len(rows) >= 8
    old_name = next(row for row in rows if row[2] == "caller name: Dana Whitfield")
    new_name = next(row for row in rows if row[2] == "caller name: Dana Ortiz")
    assert old_name[0].startswith("past") and new_name[0] == "current"  # said in words, not only in colour
    assert {row[5] for row in rows} == {"conv_console_1", "conv_console_2"}

    found = console.search("what is the dog called")
    tool = httpx.post(
        f"{served.url}/retrieve", json={"query": "what is the dog called", "user_id": CALLER}, headers=WORKSPACE
    )
    assert found == tool.json()
    assert "Biscuit" in console.page.locator("#search-text").inner_text()

    console.go("analytics")
    chart = console.analytics_chart()
    assert chart["points"] == chart["bars"] == 30 and chart["total"] == 3
    assert sum(int(title.split(": ")[1].split()[0]) for title in chart["titles"]) == 3
    assert "Returning: 1 (50%)" in console.page.locator("#returning-chart").inner_text()
    assert "+155***0199" in console.page.locator("#active-callers").inner_text()  # masked: not the one typed
    assert "+15555550199" not in console.page.content()

    console.go("config")
    shown = console.page.locator("#config-secrets tbody tr").all_inner_texts()
    config = httpx.get(f"{served.url}/admin/config", headers=ADMIN).json()
    assert [row.split("\t") for row in shown] == [[name, status] for name, status in config["secrets"].items()]
    kept = served.data_dir / "secrets.json"  # what serve generated, if the environment lacked any
    generated = json.loads(kept.read_text()) if kept.exists() else {}
    for value in [*TEST_SECRETS.values(), *generated.values()]:
        assert value not in console.page.content()

    console.go("caller")
    opener = console.page.locator("#erase-open")  # by keyboard: Enter opens the confirmation, Escape cancels it
    opener.focus()
    opener.press("Enter")
    console.page.locator("#erase-dialog").wait_for(state="visible")
    assert console.page.evaluate("document.activeElement.id") == "erase-cancel"  # the safe choice first
    console.page.keyboard.press("Escape")
    console.page.locator("#erase-dialog").wait_for(state="hidden")
    assert (
        console.memory_rows() == rows
        and client_data(served.url, CALLER)["dynamic_variables"]["returning_caller"] == "yes"
    )
    receipt = console.erase()
    assert receipt["Erased memories"] == str(len(rows)) and receipt["Erased archived events"] == "2"
    assert console.preview()["dynamic_variables"]["returning_caller"] == "no"
    assert console.memory_rows() == [["No memories: a new caller."]]
    assert client_data(served.url, CALLER)["dynamic_variables"]["returning_caller"] == "no"
    assert_key_kept_in_memory_only(console, served.url)


def test_a_wrong_key_asks_again_and_a_reload_forgets_the_key(serve: Any, browser_context: Any) -> None:
    served = serve()
    console = Console(browser_context, served.url).open()
    console.sign_in("not-the-admin-key")
    alert = console.page.locator("#sign-in-message")
    alert.wait_for(state="visible")
    assert alert.get_attribute("role") == "alert" and "not accepted" in alert.inner_text()
    assert console.page.locator("#nav").is_hidden() and console.page.locator("#admin-key").input_value() == ""

    console.sign_in()
    console.signed_in()
    assert console.page.locator("#page-caller").is_visible()
    console.page.reload()
    console.page.locator("#admin-key").wait_for(state="visible")  # the key lived in the page's memory only
    assert console.page.locator("#nav").is_hidden()
    assert_key_kept_in_memory_only(console, served.url)


def test_experiment_variants_are_drawn(serve: Any, browser_context: Any, tmp_path: Path) -> None:
    served = serve(extra_args=["--config", str(write_config(tmp_path, experiments={"recall": EXPERIMENT}))])
    calls = []
    for n in range(6):
        caller = f"+1555555{3000 + n:04d}"
        variables = client_data(served.url, caller)["dynamic_variables"]  # the platform echoes these after the call
        for index in range(1 + n % 2):
            calls.append({"caller": caller, "conversation_id": f"conv-v-{n}-{index}", "days_ago": 0, "echo": variables})
    post_calls(served.url, tuple(calls))
    report = httpx.get(f"{served.url}/analytics/agent", params={"by": "variant"}, headers=ADMIN).json()
    [experiment] = report["experiments"]

    console = Console(browser_context, served.url).open()
    console.sign_in()
    console.signed_in()
    console.go("analytics")
    section = console.page.locator("#variants")
    section.wait_for(state="visible")
    chart = section.locator("svg")
    assert chart.locator("rect.bar").count() == len(experiment["variants"]) == 2
    rows = [row.split("\t") for row in section.locator("tbody tr").all_inner_texts()]
    expected = [(v["variant"], str(v["callers"]), str(v["calls"])) for v in experiment["variants"]]
    assert [(row[0].removesuffix(" (baseline)"), row[1], row[2]) for row in rows] == expected
    assert sum(int(row[2]) for row in rows) == len(calls)
    console.go("caller")
    console.look_up("555-555-3000")
    shown = console.page.locator("#preview-summary").inner_text()
    assert (
        f"Experiment variant\n{client_data(served.url, '+15555553000')['dynamic_variables']['memory_variant']}" in shown
    )
    assert experiment["summary"] in section.inner_text()
