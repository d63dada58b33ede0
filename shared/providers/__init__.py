"""The provider registry: platform name to provider class. A new platform is one module and one line here."""

from __future__ import annotations

import importlib

from shared.errors import ConfigError
from shared.providers.base import Provider

PROVIDERS: dict[str, str] = {
    "elevenlabs": "shared.providers.elevenlabs:ElevenLabsProvider",
    "generic": "shared.providers.generic:GenericProvider",
    "vapi": "shared.providers.vapi:VapiProvider",
    "retell": "shared.providers.retell:RetellProvider",
}


def provider_class(name: str) -> type[Provider]:
    try:
        module_name, _, class_name = PROVIDERS[name].partition(":")
    except KeyError:
        raise ConfigError(f"unknown provider {name!r}; known: {', '.join(sorted(PROVIDERS))}") from None
    cls: type[Provider] = getattr(importlib.import_module(module_name), class_name)
    return cls


__all__ = ["PROVIDERS", "Provider", "provider_class"]
