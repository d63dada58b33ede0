"""Retell's API as the wiring uses it: ``get-agent``/``update-agent``/``publish-agent-version``,
``get-retell-llm``/``update-retell-llm``, ``get-phone-number``/``update-phone-number``, as retell-sdk 6.2 calls
them. Answers are valid ``AgentResponse``, ``LlmResponse`` and ``PhoneNumberResponse`` models. Updating a
published agent makes a new draft version (published again only by ``publish-agent-version``); errors are
Retell's ``{"status": "error", "message": ...}``.
"""

from __future__ import annotations

import copy
from typing import Any

from tests.fakes.platform_server import FakePlatform

AGENT_ID = "agent_4f1c2b3a5d6e7f8091a2b3c4d5"
LLM_ID = "llm_9a8b7c6d5e4f3a2b1c0d9e8f7a"
PHONE_NUMBER = "+15555550100"
EXISTING_TOOL = {"type": "end_call", "name": "end_call", "description": "Hang up when the caller says goodbye."}
STAMP = 1767225600000


def sample_agent() -> dict[str, Any]:
    return {
        "agent_id": AGENT_ID,
        "agent_name": "Clinic front desk",
        "voice_id": "11labs-Adrian",
        "response_engine": {"type": "retell-llm", "llm_id": LLM_ID, "version": 3},
        "webhook_url": "https://old-hooks.example.com/retell",
        "version": 3,
        "is_published": True,
        "last_modification_timestamp": STAMP,
    }


class FakeRetell(FakePlatform):
    def __init__(self, api_key: str) -> None:
        super().__init__(api_key)
        self.agent = sample_agent()
        self.llm: dict[str, Any] = {
            "llm_id": LLM_ID,
            "general_prompt": "You book appointments.",
            "general_tools": [copy.deepcopy(EXISTING_TOOL)],
            "last_modification_timestamp": STAMP,
        }
        self.number: dict[str, Any] = {
            "phone_number": PHONE_NUMBER,
            "phone_number_type": "retell-twilio",
            "inbound_webhook_url": None,
            "last_modification_timestamp": STAMP,
        }
        self.published: list[int] = []
        self.route("GET", "/get-agent/([^/]+)", self.get_agent)
        self.route("PATCH", "/update-agent/([^/]+)", self.update_agent)
        self.route("POST", "/publish-agent-version/([^/]+)", self.publish)
        self.route("GET", "/get-retell-llm/([^/]+)", self.get_llm)
        self.route("PATCH", "/update-retell-llm/([^/]+)", self.update_llm)
        self.route("GET", "/get-phone-number/([^/]+)", self.get_number)
        self.route("PATCH", "/update-phone-number/([^/]+)", self.update_number)

    def unauthorized(self) -> tuple[int, Any]:
        return 401, {"status": "error", "message": "Unauthorized: invalid API key"}

    def not_found(self, what: str) -> tuple[int, Any]:
        return 404, {"status": "error", "message": f"{what} not found"}

    def get_agent(self, _body: Any, agent_id: str) -> tuple[int, Any]:
        return (200, copy.deepcopy(self.agent)) if agent_id == AGENT_ID else self.not_found(f"Agent {agent_id}")

    def update_agent(self, body: Any, agent_id: str) -> tuple[int, Any]:
        if agent_id != AGENT_ID:
            return self.not_found(f"Agent {agent_id}")
        if self.agent["is_published"]:
            self.agent.update(version=self.agent["version"] + 1, is_published=False)
        self.agent.update(copy.deepcopy(body))
        return 200, copy.deepcopy(self.agent)

    def publish(self, body: Any, agent_id: str) -> tuple[int, Any]:
        if agent_id != AGENT_ID or body.get("version") != self.agent["version"]:
            return 400, {"status": "error", "message": "version is not the agent's draft"}
        self.agent["is_published"] = True
        self.published.append(body["version"])
        return 200, None

    def get_llm(self, _body: Any, llm_id: str) -> tuple[int, Any]:
        return (200, copy.deepcopy(self.llm)) if llm_id == LLM_ID else self.not_found(f"LLM {llm_id}")

    def update_llm(self, body: Any, llm_id: str) -> tuple[int, Any]:
        if llm_id != LLM_ID:
            return self.not_found(f"LLM {llm_id}")
        self.llm.update(copy.deepcopy(body))
        return 200, copy.deepcopy(self.llm)

    def get_number(self, _body: Any, number: str) -> tuple[int, Any]:
        return (200, copy.deepcopy(self.number)) if number == PHONE_NUMBER else self.not_found("Phone number")

    def update_number(self, body: Any, number: str) -> tuple[int, Any]:
        if number != PHONE_NUMBER:
            return self.not_found("Phone number")
        self.number.update(copy.deepcopy(body))
        return 200, copy.deepcopy(self.number)


__all__ = ["AGENT_ID", "EXISTING_TOOL", "LLM_ID", "PHONE_NUMBER", "FakeRetell", "sample_agent"]
