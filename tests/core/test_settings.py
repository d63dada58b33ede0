"""Process settings from the environment: a timeout that cannot work stops the start, with the variable named."""

from __future__ import annotations

import pytest

from shared.errors import ConfigError
from shared.settings import Settings


@pytest.mark.parametrize("variable", ["MEM0_READ_TIMEOUT", "MEM0_WRITE_TIMEOUT"])
@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "-inf", "soon"])
def test_a_timeout_that_cannot_work_is_refused(variable: str, value: str) -> None:
    """0 or less made every pre-call a "new caller" at once; nan and inf made every pre-call a 500 (httpx and the
    deadline raised ValueError and OverflowError, which nothing handles)."""
    with pytest.raises(ConfigError, match=variable):
        Settings.from_environ({"AGENT_TYPE": "support", "MEMORY_BACKEND": "mem0", variable: value})


def test_timeouts_in_seconds_are_read() -> None:
    settings = Settings.from_environ({"AGENT_TYPE": "support", "MEM0_READ_TIMEOUT": "0.8", "MEM0_WRITE_TIMEOUT": "20"})
    assert (settings.mem0_read_timeout, settings.mem0_write_timeout) == (0.8, 20.0)
