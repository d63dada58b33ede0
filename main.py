"""Google Cloud Functions entry: the deployed function names these targets (``--target http|worker|sweeper``)."""

from functions.gcp.entry import http, sweeper, worker

__all__ = ["http", "sweeper", "worker"]
