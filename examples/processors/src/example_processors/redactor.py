"""``redact_card_numbers``: card and account numbers never reach the memory store.

A run of 13 to 19 digits that passes the Luhn check is a payment card number, however its groups are separated
(spaces, tabs, non-breaking spaces, dashes, dots, slashes, underscores, a few at a time), and becomes
``[card ending NNNN]`` (the last four digits are what a receipt shows). Digits said as an
account, IBAN or routing number become ``[account number redacted]``. Text and string metadata of every memory
are redacted; a memory left with nothing else to say is dropped.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.memory.models import Memory
    from shared.processors import PostCall

_CARD = re.compile(r"(?<!\d)(?:\d[\s./_-]{0,3}){12,18}\d(?!\d)")  # \s: spaces, tabs, non-breaking spaces
_ACCOUNT = re.compile(
    r"(?i)\b(?P<label>(?:bank\s+)?account(?:\s+(?:number|no\.?|#))?|acct\.?(?:\s*(?:number|no\.?|#))?|iban|"
    r"routing(?:\s+number)?)(?P<sep>\s*(?:is|:|#)?\s*)"
    r"(?P<number>[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?|\d(?:[ -]?\d){5,19})\b"
)
CARD_MARK = "[card ending {last4}]"
ACCOUNT_MARK = "[account number redacted]"


def luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    if 13 <= len(digits) <= 19 and luhn(digits):
        return CARD_MARK.format(last4=digits[-4:])
    return match.group()


def redact(text: str) -> str:
    """The text with card numbers and account numbers replaced."""
    text = _ACCOUNT.sub(lambda m: f"{m['label']}{m['sep']}{ACCOUNT_MARK}", text)
    return _CARD.sub(_card, text)


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    return value


class CardNumberRedactor:
    """Post-call: redact every memory of the call; drop one whose whole text was a number."""

    def post_call(self, call: PostCall) -> list[Memory]:
        kept = []
        for memory in call.memories:
            text = redact(memory.text)
            if not re.sub(r"\[(?:card ending \d{4}|account number redacted)\]|[\s:.,;-]", "", text):
                continue
            kept.append(replace(memory, text=text, metadata=_redacted(memory.metadata)))
        return kept
