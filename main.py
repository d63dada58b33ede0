"""Google Cloud Functions entry: the deployed function names these targets (``--target http|worker|sweeper``)."""

from functions.gcp import http, sweeper, worker

__all__ = ["http", "sweeper", "worker"]
