"""Durable, idempotent post-call ingestion: archive the raw body, enqueue its key, let a worker remember it."""
