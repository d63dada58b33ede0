"""The console against ``agentic-memory serve`` in a real browser, as an operator met it in an outside audit: a
number spelled with slashes (``555/555-0123``, as many countries write it) is found, a variant without callers is
shown as having no data (it was drawn as a 0% bar with a 0-100% whisker), and calls per caller come with their counts
and 95% interval as the other figures do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.conftest import CALLER
from tests.console.pages import ADMIN, Console, post_calls
from tests.console.test_console_browser import client_data
from tests.experiments.helpers import EXPERIMENT, write_config


def looked_up(console: Console, typed: str) -> str:
    page = console.page
    page.locator("#caller-number").fill(typed)
    page.locator("#caller-number").press("Enter")
    page.wait_for_function(
        "() => /^(Found|Error)/.test(document.getElementById('caller-status').textContent)", timeout=10_000
    )
    return page.locator("#caller-status").inner_text()


def test_a_number_spelled_with_slashes_is_found(serve: Any, browser_context: Any) -> None:
    served = serve()
    post_calls(served.url, ({"caller": CALLER, "conversation_id": "conv-slash-1", "days_ago": 0},))
    console = Console(browser_context, served.url).open()
    console.sign_in()
    console.signed_in()
    for typed in ("555/555-0123", "+1 555/555/0123"):
        assert looked_up(console, typed) == f"Found {typed}: a returning caller."
        assert console.preview()["dynamic_variables"]["caller_id"] == CALLER
        assert console.memory_rows()  # the memories are listed too


def test_a_variant_without_callers_has_no_data_not_zero(serve: Any, browser_context: Any, tmp_path: Path) -> None:
    served = serve(extra_args=["--config", str(write_config(tmp_path, experiments={"recall": EXPERIMENT}))])
    variables = client_data(served.url, CALLER)["dynamic_variables"]
    post_calls(served.url, ({"caller": CALLER, "conversation_id": "conv-one-1", "days_ago": 0, "echo": variables},))
    report = httpx.get(f"{served.url}/analytics/agent", params={"by": "variant"}, headers=ADMIN).json()
    [experiment] = report["experiments"]
    [with_calls] = [v for v in experiment["variants"] if v["callers"]]
    [empty] = [v for v in experiment["variants"] if not v["callers"]]
    assert empty["returning_caller_rate"]["value"] is None

    console = Console(browser_context, served.url).open()
    console.sign_in()
    console.signed_in()
    console.go("analytics")
    section = console.page.locator("#variants")
    section.wait_for(state="visible")
    chart = section.locator("svg")
    assert chart.locator("rect.bar").count() == 1  # only the variant with callers has a bar
    assert chart.locator("rect.bar title").all_text_contents() == [f"{with_calls['variant']}: 0 % returning (95% "
                                                                   f"interval 0 to 79)"]  # fmt: skip
    assert "no data" in chart.locator("text.no-data").all_text_contents()
    assert chart.locator("line.whisker").count() == 3  # one whisker and its two ends, for the variant with data
    rows = {
        row.split("\t")[0].removesuffix(" (baseline)"): row.split("\t")
        for row in section.locator("tbody tr").all_inner_texts()
    }
    assert rows[empty["variant"]][3:5] == ["no data", "no data"]
    assert rows[with_calls["variant"]][3] == "1.00 (1 calls of 1 callers; 95%: 1.00\u20131.00)"  # en dash


def test_a_key_with_a_character_no_header_carries_is_refused_as_a_key(serve: Any, browser_context: Any) -> None:
    """A key pasted with a typographic quote (or typed with an emoji) was answered 'The service could not be
    reached': fetch refuses the header before sending, and the operator looked for an outage."""
    served = serve()
    console = Console(browser_context, served.url).open()
    for typed in ("admin\u2019s-key", "key \U0001f511"):
        console.sign_in(typed)
        message = console.page.locator("#sign-in-message")
        message.wait_for(state="visible")
        assert message.inner_text().startswith("The admin key was not accepted")
        assert console.page.locator("#nav").is_hidden()
    console.sign_in()
    console.signed_in()
