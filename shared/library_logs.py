"""What the libraries beneath the service may log.

Our own log lines name a caller by a keyed reference only, and show no words and no secret. The clients beneath us
log more: botocore at DEBUG every request's parameters and every response body (a memory's text, an archived
transcript, the stack's secret as Secrets Manager returns it), httpx at INFO every request's URL (a Mem0 erasure's
holds the caller's user id, a phone number unless callers are pseudonymized). A function's log level is a setting
(a Lambda's application log level, a developer's ``basicConfig(level=DEBUG)``), so these loggers are held at
WARNING whatever level the root logger is given: their warnings and errors still show.
"""

from __future__ import annotations

import logging

LIBRARY_LOGGERS = (
    "botocore",
    "boto3",
    "s3transfer",
    "urllib3",
    "httpx",
    "httpcore",
    "google.auth",
    "google.api_core",
    "grpc",
)
LIBRARY_LEVEL = logging.WARNING


def quiet_libraries() -> None:
    """Hold the libraries' loggers at WARNING (idempotent; a level set higher is kept)."""
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < LIBRARY_LEVEL:
            logger.setLevel(LIBRARY_LEVEL)


__all__ = ["LIBRARY_LEVEL", "LIBRARY_LOGGERS", "quiet_libraries"]
