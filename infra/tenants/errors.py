"""What the tenants provisioning raises on purpose; messages name the file, tenant and field, never a value.

AgenticMemoryError
└── ConfigError
    └── TenantsError
        ├── TenantsFileError       the tenants file cannot be read or is invalid (nothing has run)
        ├── SecretReferenceError   an ``env:`` or ``file:`` reference does not resolve (nothing has run)
        └── PulumiNotInstalled     no usable ``pulumi`` CLI on PATH
"""

from __future__ import annotations

from shared.errors import ConfigError


class TenantsError(ConfigError):
    """A tenants provisioning problem found before any stack was touched."""


class TenantsFileError(TenantsError):
    """The tenants file is missing, not YAML, or invalid."""


class SecretReferenceError(TenantsError):
    """A secret reference does not resolve to a non-empty value."""


class PulumiNotInstalled(TenantsError):
    """The Automation API drives the ``pulumi`` CLI, and there is none."""


__all__ = ["PulumiNotInstalled", "SecretReferenceError", "TenantsError", "TenantsFileError"]
