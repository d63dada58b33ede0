"""Thin entry points over the core: AWS Lambda, Google Cloud Functions, local (``agentic-memory serve``)."""
