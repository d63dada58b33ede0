"""Caller identity: who a memory belongs to.

Phone numbers become E.164 before they become a memory user id, so ``+1 (555) 555-0123`` and ``+15555550123``
are one caller; other ids (web or widget users) are kept as they are, within a safe alphabet. With
pseudonymization on, the store only ever sees a keyed hash, a pseudonym (``u_`` and 40 hex digits); operators (the
admin API, the console, the CLI) may name a caller by it too (``for_operators``), a platform never. Outside the
store (archive metadata, erase jobs, log lines) a caller is named by ``user_ref``, a keyed hash under the stack's
``CALLER_REF_KEY``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import unquote

import phonenumbers

from shared.errors import ConfigError, Unprocessable
from shared.keyed_hash import CALLER_REF_KEY, caller_ref_key, keyed_hash, long_enough

if TYPE_CHECKING:
    from shared.profile import AgentProfile
    from shared.secrets import Secret, SecretSource

_PHONE_CHARS = re.compile(r"^[+\d\s().\-/]+$")
# what carriers and platforms put in place of a withheld number: never one shared memory for all of them
_WITHHELD = frozenset(
    {
        "anonymous",
        "restricted",
        "unavailable",
        "unknown",
        "private",
        "withheld",
        "blocked",
        "null",
        "none",
        "undefined",
        "client",
        "0",
    }
)
# carriers' placeholder numbers for a withheld caller (Twilio: ANONYMOUS, RESTRICTED, BLOCKED, UNKNOWN, UNAVAILABLE
# spelled on a keypad), as digits
_PLACEHOLDER_DIGITS = frozenset({"266696687", "7378742833", "2562533", "8656696", "86282452253"})
_SIP_SCHEMES = ("sip:", "sips:", "tel:")
# A number with an extension after it: the line's own number is the caller, as in a ``tel:...;ext=42`` URI.
_EXTENSION = re.compile(r"(?i)(?P<number>[+\d\s().\-/]{7,}?)\s*(?:;\s*ext\s*=|,+|(?:ext\.?|extension|x))\s*\d{1,6}")
_PHONE_CONTEXT = re.compile(r"(?i);\s*phone-context\s*=\s*(?P<context>[^;?>]+)")
_OPAQUE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@+\-]{0,127}$")
# how every caller id a phone number or a SIP address becomes begins (an opaque id begins with a letter or digit)
_CALLER_ID_PREFIXES = ("+", "sip:")
PSEUDONYM_PREFIX = "u_"
PSEUDONYM_HEX = 40
_PSEUDONYM = re.compile(f"{PSEUDONYM_PREFIX}[0-9a-f]{{{PSEUDONYM_HEX}}}")


def is_withheld(value: str) -> bool:
    """A word platforms and carriers send instead of a withheld number ("anonymous", "restricted", ...)."""
    return value.strip().lower() in _WITHHELD


def is_pseudonym(value: str) -> bool:
    """Exactly what ``CallerIdentity.user_id`` makes of a caller under pseudonymization: ``u_`` and 40 lowercase hex
    digits, nothing around them. No phone number is one (``u`` and ``_`` are in none), and none looks like a number."""
    return _PSEUDONYM.fullmatch(value) is not None


def _withheld() -> Unprocessable:
    return Unprocessable("caller id is withheld")


def _phone(value: str, default_region: str) -> str:
    """E.164 for a phone number; a withheld-number placeholder or an impossible number is refused."""
    if value.startswith("+") and "".join(ch for ch in value if ch.isdigit()) in _PLACEHOLDER_DIGITS:
        raise _withheld()
    candidate = "+" + value[2:] if value.startswith("00") else value
    try:
        parsed = phonenumbers.parse(candidate, None if candidate.startswith("+") else default_region)
    except phonenumbers.NumberParseException as exc:
        raise Unprocessable("caller id is not a valid phone number") from exc
    # Not "possible only locally": "555-0123" is seven digits of any area code, and would pool every caller of them.
    if phonenumbers.is_possible_number_with_reason(parsed) != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise Unprocessable("caller id is not a valid phone number")
    zeros = (parsed.number_of_leading_zeros or 1) if parsed.italian_leading_zero else 0  # "02 9374 4000"
    national = "0" * zeros + str(parsed.national_number)
    if parsed.country_code == 1 and (national[:1] in "01" or national[3:4] in "01"):  # NANP: area and exchange 2-9
        raise Unprocessable("caller id is not a valid phone number")
    if set(str(parsed.national_number)) <= {"0"}:  # +1 000 000 0000 and the like
        raise _withheld()
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _looks_like_phone(value: str) -> bool:
    return bool(value) and bool(_PHONE_CHARS.match(value)) and sum(ch.isdigit() for ch in value) >= 7


def _uri(value: str, default_region: str) -> str:
    """A ``sip:``/``sips:``/``tel:`` URI (display name and ``<>`` allowed): the number its user part holds, else
    ``sip:user@host`` as an opaque id (an extension or a name means something only on its own host)."""
    inner = value[value.index("<") + 1 : value.rindex(">")] if "<" in value and ">" in value else value
    scheme, _, rest = inner.strip().partition(":")
    if scheme.lower() == "tel":
        local, _, params = rest.partition(";")
        number = _in_context(unquote(local).strip(), params)
        return _phone(number, default_region) if _looks_like_phone(number) else _raise_not_caller()
    userinfo, at, hostport = rest.rpartition("@")
    if not at or not userinfo:
        raise Unprocessable("caller id is a SIP URI without a user")
    local, _, params = userinfo.partition(";")
    user = _in_context(unquote(local.split(":", 1)[0]).strip(), params)
    host = re.split(r"[;?>]", hostport, maxsplit=1)[0].strip().lower()
    host = host[: host.find("]") + 1] if host.startswith("[") else host.split(":", 1)[0]  # IPv6 keeps its colons
    if user.lower() in _WITHHELD or host == "anonymous.invalid":  # RFC 3323's anonymous URI
        raise _withheld()
    if _looks_like_phone(user):
        return _phone(user, default_region)
    opaque = f"sip:{user}@{host}"
    return opaque if host and _OPAQUE_ID.match(opaque) and ".." not in opaque else _raise_not_caller()


def _in_context(number: str, params: str) -> str:
    """RFC 3966: a local number with a global ``phone-context`` (``tel:2079460958;phone-context=+44``) is that
    prefix's number (``+442079460958``), not a number of the default region, which would be another caller's."""
    found = _PHONE_CONTEXT.search(";" + params)
    if found is None or number.startswith("+") or not _PHONE_CHARS.match(number):
        return number
    context = unquote(found["context"]).strip()
    if not context.startswith("+"):  # a domain name: the number is local to it, read in the default region
        return number
    return "+" + "".join(ch for ch in context + number if ch.isdigit())


def _raise_not_caller() -> str:
    raise Unprocessable("caller id is not a phone number or a valid user id")


@lru_cache(maxsize=16_384)  # pure, on every request's path: a returning caller is parsed once (3 MB when full)
def normalize_caller(raw: str, *, default_region: str = "US") -> str:
    """E.164 for anything that looks like a phone number (also as a SIP or tel URI), the id itself otherwise.

    Raises ``Unprocessable`` for something that is neither, and for a withheld number (never echoing it back):
    such a caller cannot be identified, and must never share one memory with every other withheld caller.
    """
    value = raw.strip()
    extension = _EXTENSION.fullmatch(value)  # "+15555550123;ext=42", "... ext. 42", "...x42": the line, as tel: URIs
    if extension:
        value = extension.group("number").strip()
    lowered = value.lower()
    if lowered.startswith(_SIP_SCHEMES) or ("<" in value and any(f"<{s}" in lowered for s in _SIP_SCHEMES)):
        return _uri(value, default_region)
    if _looks_like_phone(value):
        return _phone(value, default_region)
    if lowered in _WITHHELD:
        raise _withheld()
    if _PHONE_CHARS.match(value) and any(ch.isdigit() for ch in value):  # "1001", "911": an extension or a short
        raise Unprocessable("caller id is not a valid phone number")  # code, the same on every PBX: no one caller
    if _OPAQUE_ID.match(value):
        return value
    return _raise_not_caller()


def reads_as_number(value: str) -> bool:
    """Whether ``normalize_caller`` would not keep the value as an id of its own: it reads it as a phone number or a
    SIP/tel address (in any spelling, with an extension, or already written as the caller id it becomes:
    ``+15555550123``, ``sip:1001@pbx.example.com``), or refuses it."""
    try:
        normalized = normalize_caller(value)
    except Unprocessable:
        return True
    return normalized != value.strip() or normalized.startswith(_CALLER_ID_PREFIXES)


def mask(user_id: str) -> str:
    """For logs: ``+155***0123``; never the whole number or id: at most a third of it shows at each end, so a short
    number (Niue's ``+6834002``) or web id (``alice12``) is not shown whole around the stars (``+6***02``)."""
    if len(user_id) <= 6:
        return "***"
    shown = min(4, len(user_id) // 3)
    return f"{user_id[:shown]}***{user_id[-shown:]}"


@dataclass(frozen=True)
class CallerIdentity:
    """Turns what a platform says about the caller into the memory user id, the same way on every path."""

    default_region: str = "US"
    pseudonym_key: Secret | None = None
    ref_key: Secret | None = None
    accepts_pseudonyms: bool = False  # ``for_operators``: a stored pseudonym names its caller as it is

    @classmethod
    def from_profile(cls, profile: AgentProfile, secrets: SecretSource) -> CallerIdentity:
        identity = profile.config.identity
        key = None
        if identity.pseudonymize:
            key = secrets.get("PSEUDONYMIZATION_KEY")
            if not key:
                raise ConfigError(
                    f"agent type {profile.name!r} pseudonymizes caller ids but secret PSEUDONYMIZATION_KEY is not set"
                )
            long_enough("PSEUDONYMIZATION_KEY", key)  # a short key lets anyone holding the store hash every number
        return cls(default_region=identity.default_region, pseudonym_key=key, ref_key=caller_ref_key(secrets))

    def for_operators(self) -> CallerIdentity:
        """This identity as the admin API, the console and the CLI use it: what `memories export` and the console show
        of a pseudonymized caller (the stored ``u_...`` id) names that caller, instead of being hashed again into an
        id nobody has (an erasure that erased nothing and said it succeeded). Platform routes never get this: a
        caller id a web page can set must not reach a stored caller by their pseudonym."""
        return replace(self, accepts_pseudonyms=True)

    def caller_id(self, raw: str) -> str:
        return normalize_caller(raw, default_region=self.default_region)

    def identify(self, raw: str | None) -> str | None:
        """The caller id, or None when nothing identifies one caller (no number, withheld, a placeholder, a web
        call): such a call is answered as a new caller and remembered under no id, never a shared one."""
        if raw is None:
            return None
        try:
            return self.caller_id(raw)
        except Unprocessable:
            return None

    def user_id(self, raw: str) -> str:
        """The memory user id for a raw caller id (normalized, then hashed if pseudonymization is on; for operators, a
        pseudonym is kept as it is)."""
        caller = self.caller_id(raw)
        if self.pseudonym_key is None or (self.accepts_pseudonyms and is_pseudonym(caller)):
            return caller
        digest = hmac.new(self.pseudonym_key.reveal().encode(), caller.encode(), hashlib.sha256).hexdigest()
        return f"{PSEUDONYM_PREFIX}{digest[:PSEUDONYM_HEX]}"

    def stored_ids(self, raw: str) -> tuple[str, ...]:
        """Every user id a store may hold this caller under, for erasure: ``user_id``, and where callers are
        pseudonymized but named here by their number or id (not by the pseudonym), that plain id too: memories and
        archived events written before ``identity.pseudonymize`` was turned on are kept under it."""
        user_id = self.user_id(raw)
        caller = self.caller_id(raw)
        return (user_id,) if caller == user_id else (user_id, caller)

    def user_ref(self, user_id: str) -> str:
        """The caller's reference outside the memory store: archive metadata (erasure searches by it), erase jobs,
        log lines. Keyed, so reading the bucket does not give the numbers back. Raises ``ConfigError`` without
        the stack's key (never an unkeyed reference)."""
        if self.ref_key is None:
            raise ConfigError(f"caller references need the secret {CALLER_REF_KEY}")
        return keyed_hash(self.ref_key, USER_REF_PURPOSE, user_id)

    def user_refs(self, user_id: str) -> frozenset[str]:
        """Every reference erasure must match: the keyed one, and the unkeyed one archives written before the key
        existed carry until the bucket's retention expires them."""
        return frozenset({self.user_ref(user_id), legacy_user_ref(user_id)})


USER_REF_PURPOSE = "user-ref"


def legacy_user_ref(user_id: str) -> str:
    """The unkeyed reference of earlier versions, kept only so that erasure finds what they archived."""
    return hashlib.sha256(b"agentic-memory:user-ref:" + user_id.encode()).hexdigest()[:32]
