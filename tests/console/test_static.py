"""The console's files: served with a strict policy, nothing inline, nothing from another host, no key kept, and
shipped in both the wheel and the cloud bundle."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from infra.bundle import code_zip_bytes
from shared.console import CONTENT_SECURITY_POLICY, STATIC, assets
from shared.http import Request
from tests.conftest import CALLER, TEST_SECRETS

REPO = Path(__file__).resolve().parents[2]
SHIPPED = sorted(path.name for path in STATIC.iterdir())


def get(local: Any, path: str, headers: dict[str, str] | None = None) -> Any:
    return local.runtime.app.handle(Request.build("GET", path, headers or {}))


def test_console_redirects_to_its_folder_so_relative_links_work_under_any_prefix(local_runtime: Any) -> None:
    response = get(local_runtime(), "/console")
    assert response.status == 308 and response.headers["location"] == "console/index.html"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/console/", "text/html; charset=utf-8"),
        ("/console/index.html", "text/html; charset=utf-8"),
        ("/console/console.js", "text/javascript; charset=utf-8"),
        ("/console/console.css", "text/css; charset=utf-8"),
        ("/console/favicon.svg", "image/svg+xml"),
    ],
)
def test_each_file_is_served_with_a_strict_policy(local_runtime: Any, path: str, content_type: str) -> None:
    response = get(local_runtime(), path)
    assert response.status == 200 and response.headers["content-type"] == content_type
    assert response.body == (STATIC / (path.rsplit("/", 1)[1] or "index.html")).read_bytes()
    headers = response.headers
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    policy = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert policy["default-src"] == "'none'" and policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["connect-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
    assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize(
    "name",
    ["nope.js", "..", "%2e%2e%2fapp.py", "..%2F..%2Fconfig%2Fagent_types.json", "__init__.py", "index.html/"],
)
def test_nothing_but_the_consoles_own_files(local_runtime: Any, name: str) -> None:
    response = get(local_runtime(), f"/console/{name}")
    assert response.status == 404 and response.headers["content-type"] == "application/json"


def test_the_admin_apis_answers_are_never_cached(local_runtime: Any) -> None:
    local = local_runtime()
    admin = {"X-Admin-Key": TEST_SECRETS["ADMIN_API_KEY"]}
    for path in (f"/admin/users/{CALLER}/memories", f"/admin/users/{CALLER}/pre-call", "/admin/config", "/nope"):
        headers = get(local, path, admin).headers
        assert headers["cache-control"] == "no-store" and headers["x-content-type-options"] == "nosniff"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text = ""
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_text += data.strip()


def test_the_page_has_no_inline_script_or_style_and_labels_every_field() -> None:
    parser = _Tags()
    parser.feed((STATIC / "index.html").read_text())
    assert parser.script_text == ""
    attributes = [name for _, attrs in parser.tags for name in attrs]
    assert not [name for name in attributes if name.startswith("on") or name == "style"]
    assert [attrs["src"] for tag, attrs in parser.tags if tag == "script"] == ["console.js"]
    labelled = {attrs.get("for") for tag, attrs in parser.tags if tag == "label"}
    fields = [attrs for tag, attrs in parser.tags if tag in ("input", "select", "textarea")]
    assert fields and all(attrs.get("id") in labelled for attrs in fields)
    assert not any("name" in attrs for attrs in fields)  # a form that ever submitted would carry nothing
    forms = [attrs for tag, attrs in parser.tags if tag == "form"]
    assert all(attrs.get("method") in ("post", "dialog") for attrs in forms)  # never a GET: no value in a URL


def test_no_file_fetches_from_another_host_or_keeps_anything() -> None:
    for name, (body, _) in assets().items():
        text = body.decode()
        urls = set(re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s\"')]*", text))
        assert urls <= {"http://www.w3.org/2000/svg"}, (name, urls)
    script = (STATIC / "console.js").read_text()
    for kept in ("localStorage", "sessionStorage", "document.cookie", "indexedDB", "caches.", "innerHTML", "eval("):
        assert kept not in script


def test_the_wheel_and_the_bundle_ship_every_console_file(tmp_path: Path) -> None:
    names = set(zipfile.ZipFile(io.BytesIO(code_zip_bytes(REPO))).namelist())
    assert {f"shared/console/static/{name}" for name in SHIPPED} <= names
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(tmp_path), str(REPO)]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    [wheel] = tmp_path.glob("agentic_memory-*.whl")
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    assert {f"shared/console/static/{name}" for name in SHIPPED} <= in_wheel
