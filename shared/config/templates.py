"""Greeting templates (``response.first_message``) checked when the file is loaded, not at a caller's first call.

A template is filled with ``str.format_map`` over the caller's variables: a stray brace, ``{0}`` or
``{caller_name:d}`` raised there, and every pre-call of the agent type answered 500; a misspelt name
(``{caller_firstname}``) was spoken as nothing ("Hi , welcome back"). Only plain names of known variables pass.
"""

from __future__ import annotations

from collections.abc import Collection
from string import Formatter

ALWAYS_KNOWN = ("caller_first_name", "caller_name")


def template_problem(template: str, known: Collection[str]) -> str | None:
    """Why ``template`` cannot be filled from the variables ``known``, or None when it can."""
    try:
        parts = list(Formatter().parse(template))
    except ValueError as exc:
        return f"is not a valid template ({exc}); write a literal brace as '{{{{' or '}}}}'"
    names = sorted({*ALWAYS_KNOWN, *known})
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if not name.isidentifier():
            return f"placeholder {{{name}}} must be a variable name, one of {', '.join(names)}"
        if spec or conversion:
            return f"placeholder {{{name}}} takes no format or conversion: write {{{name}}}"
        if name not in names:
            return f"{{{name}}} is not a variable; known: {', '.join(names)}"
    return None
