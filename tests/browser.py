"""A real browser for the console's tests: Debian's Chromium (``/usr/bin/chromium``) driven by Playwright for Python.

One browser per test module (each test gets a fresh context: no cookie, storage or cache shared between tests);
not one per session, because Playwright's event loop left running beside Pulumi's mock runtime (tests/infra) makes
the event loops Pulumi opens in its worker threads collectable, and they are never closed (ResourceWarning).
Playwright starts Chromium with a new, empty ``--user-data-dir`` of its own every launch; the flags below keep it
off the network but for the pages under test. ``make test`` installs Chromium where it can (``scripts/install-
chromium``); without it the browser tests are skipped on a developer's machine and fail under CI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = (
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
)


def chromium_or_skip() -> Path:
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    message = f"Chromium is not installed at {CHROMIUM} (scripts/install-chromium installs Debian's)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(executable), headless=True, args=list(CHROMIUM_FLAGS))
        yield launched
        launched.close()


@pytest.fixture
def browser_context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh context whose pages fail the test on any script error or refused resource (a CSP violation)."""
    context = browser.new_context(viewport={"width": 1100, "height": 800}, locale="en-US", timezone_id="UTC")
    context.set_default_timeout(10_000)
    problems: list[str] = []

    def console_message(message: Any) -> None:
        # a 401 is how the console learns a key is wrong (the tests provoke it); anything else is a fault
        if message.type == "error" and "status of 401" not in message.text:
            problems.append(message.text)

    def watch(page: Any) -> None:
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("console", console_message)

    context.on("page", watch)
    yield context
    context.close()
    assert problems == [], problems
