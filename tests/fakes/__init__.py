"""Local stand-ins for services that cannot run here, shaped by the real clients' wire formats."""

from tests.fakes.mem0_server import API_KEY, FakeMem0Server, RecordedRequest

__all__ = ["API_KEY", "FakeMem0Server", "RecordedRequest"]
