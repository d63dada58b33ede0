"""ElevenLabs' API as the wiring uses it: agents, ConvAI secrets and tools, workspace webhooks.

Paths, methods and bodies follow elevenlabs 2.78 (``conversational_ai.agents``, ``.secrets``, ``.tools``,
``webhooks``); each answer is a valid instance of the SDK's response model (``GetAgentResponseModel``,
``PostWorkspaceSecretResponseModel``, ``ToolResponseModel``, ``WorkspaceCreateWebhookResponseModel``,
``WorkspaceWebhookListResponseModel``), which ``tests/wiring`` checks. A PATCH deep-merges, as the agent
endpoint's partial request models imply. Errors carry ElevenLabs' ``{"detail": {"status", "message"}}``.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

from tests.fakes.platform_server import FakePlatform, merge

AGENT_ID = "agent_01jz8xq4tkf3r9v6m2c5b7n0pa"
EXISTING_TOOL_ID = "tool_01jz8xq9hours0pening0tool"


def sample_agent(agent_id: str = AGENT_ID) -> dict[str, Any]:
    """An agent as GET returns it, with a tool and a workspace-level webhook setting of its own already."""
    return {
        "agent_id": agent_id,
        "name": "Support line",
        "conversation_config": {
            "agent": {
                "first_message": "Hello, how can I help?",
                "language": "en",
                "prompt": {
                    "prompt": "You are a helpful agent.",
                    "llm": "gemini-2.0-flash",
                    "tool_ids": [EXISTING_TOOL_ID],
                },
            }
        },
        "metadata": {"created_at_unix_secs": 1767225600, "updated_at_unix_secs": 1767225600},
        "platform_settings": {
            "overrides": {
                "enable_conversation_initiation_client_data_from_webhook": False,
                "conversation_config_override": {"agent": {"first_message": False, "language": False}},
            },
            "workspace_overrides": {"webhooks": {"post_call_webhook_id": None, "events": []}},
        },
        "tags": [],
    }


class FakeElevenLabs(FakePlatform):
    key_header = "xi-api-key"
    key_prefix = ""

    def __init__(self, api_key: str) -> None:
        super().__init__(api_key)
        self.agents: dict[str, dict[str, Any]] = {AGENT_ID: sample_agent()}
        self.tools: dict[str, dict[str, Any]] = {}
        self.secrets: dict[str, dict[str, Any]] = {}
        self.webhooks: dict[str, dict[str, Any]] = {}
        self.webhook_secrets: dict[str, str] = {}
        self.refuse_agent_patch: str | None = None  # a message: the next agent PATCHes answer 400 with it
        self._ids = itertools.count(1)
        base = "/v1/convai"
        self.route("GET", f"{base}/agents/([^/]+)", self.get_agent)
        self.route("PATCH", f"{base}/agents/([^/]+)", self.patch_agent)
        self.route("POST", f"{base}/secrets", self.create_secret)
        self.route("GET", f"{base}/secrets/([^/]+)", self.get_secret)
        self.route("PATCH", f"{base}/secrets/([^/]+)", self.update_secret)
        self.route("DELETE", f"{base}/secrets/([^/]+)", self.delete_secret)
        self.route("POST", f"{base}/tools", self.create_tool)
        self.route("GET", f"{base}/tools/([^/]+)", self.get_tool)
        self.route("PATCH", f"{base}/tools/([^/]+)", self.update_tool)
        self.route("DELETE", f"{base}/tools/([^/]+)", self.delete_tool)
        self.route("GET", "/v1/workspace/webhooks", self.list_webhooks)
        self.route("POST", "/v1/workspace/webhooks", self.create_webhook)
        self.route("PATCH", "/v1/workspace/webhooks/([^/]+)", self.update_webhook)
        self.route("DELETE", "/v1/workspace/webhooks/([^/]+)", self.delete_webhook)

    def _id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids):04d}"

    def unauthorized(self) -> tuple[int, Any]:
        return 401, {"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}

    def not_found(self, what: str) -> tuple[int, Any]:
        return 404, {"detail": {"status": "not_found", "message": f"{what} was not found"}}

    def get_agent(self, _body: Any, agent_id: str) -> tuple[int, Any]:
        agent = self.agents.get(agent_id)
        return (200, copy.deepcopy(agent)) if agent else self.not_found(f"Agent {agent_id}")

    def patch_agent(self, body: Any, agent_id: str) -> tuple[int, Any]:
        agent = self.agents.get(agent_id)
        if agent is None:
            return self.not_found(f"Agent {agent_id}")
        if self.refuse_agent_patch:
            return 400, {"detail": {"status": "invalid_agent_config", "message": self.refuse_agent_patch}}
        settings = (body.get("platform_settings") or {}).get("workspace_overrides") or {}
        hook_id = (settings.get("webhooks") or {}).get("post_call_webhook_id")
        if hook_id and hook_id not in self.webhooks:
            return 400, {"detail": {"status": "invalid_webhook", "message": f"Webhook {hook_id} does not exist"}}
        merge(agent, copy.deepcopy(body))
        return 200, copy.deepcopy(agent)

    def create_secret(self, body: Any) -> tuple[int, Any]:
        if body.get("type") != "new" or not body.get("name") or not body.get("value"):
            return 422, {"detail": [{"loc": ["body", "value"], "msg": "Field required", "type": "missing"}]}
        secret_id = self._id("secret")
        self.secrets[secret_id] = {"name": body["name"], "value": body["value"]}
        return 200, {"type": "stored", "secret_id": secret_id, "name": body["name"]}

    def get_secret(self, _body: Any, secret_id: str) -> tuple[int, Any]:
        secret = self.secrets.get(secret_id)
        if secret is None:
            return self.not_found(f"Secret {secret_id}")
        return 200, {"type": "stored", "secret_id": secret_id, "name": secret["name"], "used_by": {}}

    def update_secret(self, body: Any, secret_id: str) -> tuple[int, Any]:
        if secret_id not in self.secrets:
            return self.not_found(f"Secret {secret_id}")
        self.secrets[secret_id] = {"name": body["name"], "value": body["value"]}
        return 200, {"type": "stored", "secret_id": secret_id, "name": body["name"]}

    def delete_secret(self, _body: Any, secret_id: str) -> tuple[int, Any]:
        return (200, None) if self.secrets.pop(secret_id, None) else self.not_found(f"Secret {secret_id}")

    def _tool(self, tool_id: str) -> dict[str, Any]:
        return {
            "id": tool_id,
            "tool_config": copy.deepcopy(self.tools[tool_id]),
            "access_info": {
                "is_creator": True,
                "creator_name": "Test",
                "creator_email": "t@example.com",
                "role": "admin",
            },
            "usage_stats": {"avg_latency_secs": 0.0},
        }

    def create_tool(self, body: Any) -> tuple[int, Any]:
        config = body.get("tool_config") or {}
        if config.get("type") != "webhook" or not config.get("api_schema", {}).get("url"):
            return 422, {"detail": [{"loc": ["body", "tool_config"], "msg": "invalid tool", "type": "value_error"}]}
        tool_id = self._id("tool")
        # the platform fills defaults the request left out, as its answers show
        self.tools[tool_id] = {"disable_interruptions": False, "force_pre_tool_speech": False, **copy.deepcopy(config)}
        return 200, self._tool(tool_id)

    def get_tool(self, _body: Any, tool_id: str) -> tuple[int, Any]:
        return (200, self._tool(tool_id)) if tool_id in self.tools else self.not_found(f"Tool {tool_id}")

    def update_tool(self, body: Any, tool_id: str) -> tuple[int, Any]:
        if tool_id not in self.tools:
            return self.not_found(f"Tool {tool_id}")
        self.tools[tool_id] = copy.deepcopy(body["tool_config"])
        return 200, self._tool(tool_id)

    def delete_tool(self, _body: Any, tool_id: str) -> tuple[int, Any]:
        return (200, None) if self.tools.pop(tool_id, None) else self.not_found(f"Tool {tool_id}")

    def list_webhooks(self, _body: Any) -> tuple[int, Any]:
        return 200, {"webhooks": [copy.deepcopy(hook) for hook in self.webhooks.values()]}

    def create_webhook(self, body: Any) -> tuple[int, Any]:
        settings = body.get("settings") or {}
        if settings.get("auth_type") != "hmac" or not str(settings.get("webhook_url", "")).startswith("http"):
            return 422, {"detail": [{"loc": ["body", "settings"], "msg": "invalid settings", "type": "value_error"}]}
        hook_id = self._id("wh")
        self.webhooks[hook_id] = {
            "name": settings["name"],
            "webhook_id": hook_id,
            "webhook_url": settings["webhook_url"],
            "is_disabled": False,
            "is_auto_disabled": False,
            "created_at_unix": 1767225600,
            "auth_type": "hmac",
        }
        self.webhook_secrets[hook_id] = f"whsec_fake_{hook_id}"
        return 200, {"webhook_id": hook_id, "webhook_secret": self.webhook_secrets[hook_id]}

    def update_webhook(self, body: Any, hook_id: str) -> tuple[int, Any]:
        if hook_id not in self.webhooks:
            return self.not_found(f"Webhook {hook_id}")
        self.webhooks[hook_id].update(is_disabled=body["is_disabled"], name=body["name"])
        return 200, {"status": "ok"}

    def delete_webhook(self, _body: Any, hook_id: str) -> tuple[int, Any]:
        return (200, None) if self.webhooks.pop(hook_id, None) else self.not_found(f"Webhook {hook_id}")


__all__ = ["AGENT_ID", "EXISTING_TOOL_ID", "FakeElevenLabs", "sample_agent"]
