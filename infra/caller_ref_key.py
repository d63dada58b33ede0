"""The stack's ``CALLER_REF_KEY``: 32 random bytes the stack creates itself, for keyed caller references.

A ``random.RandomBytes`` resource draws it once, at the stack's first update, and keeps it: later updates never
change it (no keepers), and it is drawn, not derived, so rotating an API key leaves every caller's reference as it
was. Its value is a Pulumi secret (encrypted in the stack's state like every ``--secret`` config value) and goes
only into the stack's secret store, beside the other secrets; no output exports it.
"""

from __future__ import annotations

import pulumi
import pulumi_random as random

from shared.keyed_hash import CALLER_REF_KEY

KEY_BYTES = 32


def caller_ref_key(name: str, *, parent: pulumi.Resource) -> pulumi.Output[str]:
    """The key as 64 hex characters, secret; ``name`` is the component's, so each stack draws its own."""
    drawn = random.RandomBytes(f"{name}-caller-ref-key", length=KEY_BYTES, opts=pulumi.ResourceOptions(parent=parent))
    return pulumi.Output.secret(drawn.hex)


__all__ = ["CALLER_REF_KEY", "KEY_BYTES", "caller_ref_key"]
