"""functions-framework source for ``agentic-memory serve`` (target ``http``)."""

from functions.local import http

__all__ = ["http"]
