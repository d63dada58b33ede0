"""Physical names that carry the stack name, so two stacks (two agent types, two tenants) never collide.

Every cloud name is ``am-<slug>-<role>``. The slug is the stack name itself when it is short and already
lowercase letters, digits and hyphens; otherwise a readable head plus a hash of the full stack name, so
``Tenant_A`` and ``tenant-a`` still differ. Its length is capped so the strictest limit (a GCP service
account id, 6 to 30 characters) holds for every role.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

PREFIX = "am"
SLUG_MAX = 18
_PLAIN = re.compile(r"^[a-z][a-z0-9-]{0,17}$")
_NOT_ALLOWED = re.compile(r"[^a-z0-9]+")
_SCOPE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")  # an AWS account id, a GCP project id


def stack_slug(stack: str) -> str:
    """A DNS-safe, length-capped and collision-resistant form of the stack name."""
    if _PLAIN.match(stack) and not stack.endswith("-"):
        return stack
    cleaned = _NOT_ALLOWED.sub("-", stack.lower()).strip("-") or "stack"
    digest = hashlib.sha256(stack.encode()).hexdigest()[:6]
    head = cleaned[: SLUG_MAX - len(digest) - 1].strip("-")
    return f"{head}-{digest}" if head and head[0].isalpha() else f"s{digest}"


@dataclass(frozen=True)
class StackNames:
    """Names of one stack's cloud resources; ``name(role)`` checks the caller's length limit."""

    stack: str

    @property
    def slug(self) -> str:
        return stack_slug(self.stack)

    @property
    def base(self) -> str:
        return f"{PREFIX}-{self.slug}"

    def name(self, role: str, *, max_len: int = 64) -> str:
        value = f"{self.base}-{role}"
        if len(value) > max_len:
            raise ValueError(f"resource name {value!r} is longer than {max_len} characters")
        return value

    def title(self, text: str, *, max_len: int = 100) -> str:
        """``text (stack)`` for a human-readable field with a length limit (a GCP service account's display name and a
        custom role's title hold 100 characters at most, a stack name up to 100 itself): the slug stands in for a
        stack name too long to fit."""
        for shown in (self.stack, self.slug):
            value = f"{text} ({shown})"
            if len(value.encode()) <= max_len:
                return value
        raise ValueError(f"title {text!r} is longer than {max_len} characters")

    def global_name(self, role: str, scope: str, *, max_len: int = 63) -> str:
        """A name that must be unique across all accounts (S3, Cloud Storage): the account or project is added.

        A scope that a bucket name cannot hold as it is, such as a domain-scoped GCP project (``example.com:my-proj``:
        ``:`` is refused, ``.`` needs a verified domain), becomes ``example-com-my-proj-<hash>``, cut to fit; an
        account id or a plain project id is kept as it is, so existing buckets keep their names.
        """
        if not _SCOPE.match(scope):
            digest = hashlib.sha256(scope.encode()).hexdigest()[:6]
            room = max_len - len(f"{self.base}-{role}-") - len(digest) - 1
            cleaned = _NOT_ALLOWED.sub("-", scope.lower()).strip("-")[: max(room, 0)].strip("-")
            scope = f"{cleaned}-{digest}" if cleaned else digest
        return self.name(f"{role}-{scope}", max_len=max_len)


__all__ = ["StackNames", "stack_slug"]
