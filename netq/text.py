"""What a text value from outside may not hold: bytes that were not UTF-8 (read with
surrogateescape, they arrive as lone surrogates) and control characters (a NUL cannot be
stored in PostgreSQL text; an escape sequence rewrites an operator's terminal)."""

from __future__ import annotations

import re

_UNFIT = re.compile("[\x00-\x1f\x7f\udc80-\udcff]")


def text_problem(value: str, allowed_controls: str = "") -> str | None:
    """Why `value` cannot be taken as text, or None."""
    for match in _UNFIT.finditer(value):
        character = match.group()
        if character >= "\udc80":
            return "not valid UTF-8"
        if character not in allowed_controls:
            return f"control character U+{ord(character):04X}"
    return None
