"""agentic-memory core: cloud-neutral, no cloud SDK, no Pulumi.

Data flows one way: a neutral `Request` reaches the router (`shared.app`), a provider parses and
authenticates it, the `MemoryService` answers from the `MemoryStore`, and the provider formats the answer.
"""
