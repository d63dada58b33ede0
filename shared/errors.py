"""One exception tree for the core; the HTTP edge renders each as ``{"error": message}`` with its status.

AgenticMemoryError
├── ConfigError                   invalid agent_types.json or settings (start-up, never a request)
├── StoreError
│   ├── NotFound
│   └── StoreUnavailable          backend failed; wraps the original with ``from exc``
└── HttpError                     carries ``status``
    ├── BadRequest          400   malformed JSON, wrong envelope
    ├── Unauthorized        401   missing or wrong secret or signature
    ├── RouteNotFound       404
    ├── MethodNotAllowed    405
    ├── PayloadTooLarge     413
    └── Unprocessable       422   well-formed but a required field is missing or invalid
"""

from __future__ import annotations


class AgenticMemoryError(Exception):
    """Base of every error the core raises on purpose."""


class ConfigError(AgenticMemoryError):
    """A configuration mistake: names the file, the agent type and the field."""


class StoreError(AgenticMemoryError):
    """A memory store failure."""


class NotFound(StoreError):
    """The memory, user or object does not exist."""


class StoreUnavailable(StoreError):
    """The backend could not be reached or answered with an error. Its message is fixed text (never a key, a body
    or a caller id), so logs may carry it: "mem0 answered HTTP 401" tells a revoked key from an outage."""


def failure(exc: BaseException) -> str:
    """What a log line may say of a failure: the type, and the message of a store outage (fixed text); never the
    message of anything else, which may quote the data it failed on."""
    if isinstance(exc, StoreUnavailable) and str(exc):
        return f"{type(exc).__name__}: {exc}"
    return type(exc).__name__


class HttpError(AgenticMemoryError):
    """An error with an HTTP status; its message is safe to show (no input echoed)."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def headers(self) -> dict[str, str]:
        """Headers the error's answer must carry besides the JSON ones."""
        return {}


class BadRequest(HttpError):
    status = 400


class Unauthorized(HttpError):
    status = 401

    def __init__(self, message: str = "unauthorized") -> None:
        super().__init__(message)


class RouteNotFound(HttpError):
    status = 404


class MethodNotAllowed(HttpError):
    status = 405

    def __init__(self, message: str, allowed: tuple[str, ...]) -> None:
        super().__init__(message)
        self.allowed = allowed

    @property
    def headers(self) -> dict[str, str]:
        return {"allow": ", ".join(self.allowed)}  # RFC 9110 15.5.6: a 405 names the methods the route takes


class PayloadTooLarge(HttpError):
    status = 413


class Unprocessable(HttpError):
    status = 422


__all__ = [
    "AgenticMemoryError",
    "BadRequest",
    "ConfigError",
    "HttpError",
    "MethodNotAllowed",
    "NotFound",
    "PayloadTooLarge",
    "RouteNotFound",
    "StoreError",
    "StoreUnavailable",
    "Unauthorized",
    "Unprocessable",
]
