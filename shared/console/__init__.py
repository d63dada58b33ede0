"""The memory console at ``/console``: a few static files (HTML, CSS, JavaScript) for people, served by the same
function as every other route, from the same bundle, locally and deployed. Nothing is built at deploy time and
nothing is fetched from another host; everything the pages show comes from the admin API, asked with the key the
person typed (kept in the tab's memory only, sent only as ``X-Admin-Key``).

The files are read once per process, from this package's ``static/`` folder only: a name that is not one of them
is a 404, so no path can reach another file.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from shared.errors import RouteNotFound
from shared.http import Response

STATIC = Path(__file__).with_name("static")
INDEX = "index.html"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Only this origin's own files run or style the page; it may talk to this origin only, in no frame, and no form
# ever navigates anywhere (every form is handled by the script).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cache-control": "no-cache",  # always revalidated: a deploy shows its own console at once
}


@cache
def assets() -> dict[str, tuple[bytes, str]]:
    """Every file the console serves: name -> (bytes, content type)."""
    return {
        path.name: (path.read_bytes(), CONTENT_TYPES[path.suffix])
        for path in sorted(STATIC.iterdir())
        if path.is_file() and path.suffix in CONTENT_TYPES
    }


def console_response(path: str, asset: str | None) -> Response:
    """``/console`` redirects to ``/console/index.html`` (so the pages' relative links work under any path prefix,
    such as an API stage, and the page is a named file: an API Gateway route needs no empty path to reach it);
    ``/console/`` is the page too; ``/console/<name>`` one of its files.

    Raises ``RouteNotFound`` for any other name.
    """
    if asset is None and not path.endswith("/"):
        return Response(status=308, body=b"", headers={**SECURITY_HEADERS, "location": f"console/{INDEX}"})
    found = assets().get(asset or INDEX)
    if found is None or (asset and path.endswith("/")):  # "index.html/": its relative links would all miss
        raise RouteNotFound("no such console file")
    body, content_type = found
    return Response(status=200, body=body, headers={**SECURITY_HEADERS, "content-type": content_type})
