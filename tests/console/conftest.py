"""The console's tests run ``agentic-memory serve`` over real HTTP, as the HTTP tests do."""

from tests.http.conftest import serve

__all__ = ["serve"]
