"""Vapi's API as the wiring uses it: phone numbers, tools and assistants (``GET``/``PATCH``, ``POST``/``DELETE``
for tools), as vapi-server-sdk 3.0 calls them (``phone_numbers.update``, ``tools.create/update/delete``,
``assistants.update``). Answers are valid ``TwilioPhoneNumber``, ``FunctionTool`` and ``Assistant`` models. A
PATCH replaces each top-level field it is sent; errors are Vapi's ``{"message", "error", "statusCode"}``.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

from tests.fakes.platform_server import FakePlatform

PHONE_NUMBER_ID = "4b5f2c7e-0d2a-4c55-9a51-6f7d1e2c3b4a"
ASSISTANT_ID = "00000000-0000-4000-8000-000000000000"
ORG_ID = "0f0e0d0c-0b0a-4909-8807-060504030201"
EXISTING_TOOL_ID = "8c1b2a3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d"
STAMP = "2026-11-02T09:00:00.000Z"


def sample_number() -> dict[str, Any]:
    return {
        "id": PHONE_NUMBER_ID,
        "orgId": ORG_ID,
        "provider": "twilio",
        "number": "+15555550100",
        "twilioAccountSid": "AC00000000000000000000000000000000",
        "assistantId": ASSISTANT_ID,
        "status": "active",
        "createdAt": STAMP,
        "updatedAt": STAMP,
    }


def sample_assistant() -> dict[str, Any]:
    return {
        "id": ASSISTANT_ID,
        "orgId": ORG_ID,
        "name": "Reception",
        "model": {"provider": "openai", "model": "gpt-4o", "toolIds": [EXISTING_TOOL_ID]},
        "serverMessages": ["status-update", "tool-calls"],
        "createdAt": STAMP,
        "updatedAt": STAMP,
    }


class FakeVapi(FakePlatform):
    def __init__(self, api_key: str) -> None:
        super().__init__(api_key)
        self.numbers = {PHONE_NUMBER_ID: sample_number()}
        self.assistants = {ASSISTANT_ID: sample_assistant()}
        self.tools: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self.route("GET", "/phone-number/([^/]+)", lambda body, key: self._get(self.numbers, key, "Phone number"))
        self.route(
            "PATCH", "/phone-number/([^/]+)", lambda body, key: self._patch(self.numbers, key, body, "Phone number")
        )
        self.route("GET", "/assistant/([^/]+)", lambda body, key: self._get(self.assistants, key, "Assistant"))
        self.route(
            "PATCH", "/assistant/([^/]+)", lambda body, key: self._patch(self.assistants, key, body, "Assistant")
        )
        self.route("POST", "/tool", self.create_tool)
        self.route("GET", "/tool/([^/]+)", lambda body, key: self._get(self.tools, key, "Tool"))
        self.route("PATCH", "/tool/([^/]+)", lambda body, key: self._patch(self.tools, key, body, "Tool"))
        self.route("DELETE", "/tool/([^/]+)", self.delete_tool)

    def unauthorized(self) -> tuple[int, Any]:
        return 401, {
            "message": "Invalid Key. Hot tip, you may be using the private key instead of the public key.",
            "error": "Unauthorized",
            "statusCode": 401,
        }

    def not_found(self, what: str) -> tuple[int, Any]:
        return 404, {"message": f"{what} not found", "error": "Not Found", "statusCode": 404}

    def _get(self, table: dict[str, dict[str, Any]], key: str, what: str) -> tuple[int, Any]:
        return (200, copy.deepcopy(table[key])) if key in table else self.not_found(f"{what} {key}")

    def _patch(self, table: dict[str, dict[str, Any]], key: str, body: Any, what: str) -> tuple[int, Any]:
        if key not in table:
            return self.not_found(f"{what} {key}")
        item = table[key]
        if what == "Phone number" and body.get("provider") not in (None, item["provider"]):
            return 400, {"message": ["provider must match the phone number"], "error": "Bad Request", "statusCode": 400}
        if what == "Tool" and body.get("type") not in (None, item["type"]):
            return 400, {"message": ["type must match the tool"], "error": "Bad Request", "statusCode": 400}
        for field, value in body.items():
            if value is None:
                item.pop(field, None)
            else:
                item[field] = copy.deepcopy(value)
        item["updatedAt"] = STAMP
        return 200, copy.deepcopy(item)

    def create_tool(self, body: Any) -> tuple[int, Any]:
        if body.get("type") != "function" or "name" not in (body.get("function") or {}):
            return 400, {"message": ["function.name must be a string"], "error": "Bad Request", "statusCode": 400}
        tool_id = f"7e57{next(self._ids):04d}-0000-4000-8000-000000000000"
        self.tools[tool_id] = {
            "id": tool_id,
            "orgId": ORG_ID,
            "createdAt": STAMP,
            "updatedAt": STAMP,
            "async": False,
            **copy.deepcopy(body),
        }
        return 201, copy.deepcopy(self.tools[tool_id])

    def delete_tool(self, _body: Any, tool_id: str) -> tuple[int, Any]:
        tool = self.tools.pop(tool_id, None)
        return (200, tool) if tool else self.not_found(f"Tool {tool_id}")


__all__ = ["ASSISTANT_ID", "EXISTING_TOOL_ID", "PHONE_NUMBER_ID", "FakeVapi", "sample_assistant", "sample_number"]
