"""Example agentic-memory processors: ``redact_card_numbers`` and ``appointments`` (entry points)."""

from example_processors.appointments import AppointmentExtractor
from example_processors.redactor import CardNumberRedactor, redact

__all__ = ["AppointmentExtractor", "CardNumberRedactor", "redact"]
