"""What a text value from outside may not hold: bytes that were not UTF-8 (read with
surrogateescape, they arrive as lone surrogates) and control characters (a NUL cannot be
stored in PostgreSQL text; an escape sequence rewrites an operator's terminal)."""

from __future__ import annotations


def text_problem(value: str, allowed_controls: str = "") -> str | None:
    """Why `value` cannot be taken as text, or None."""
    for character in value:
        if "\udc80" <= character <= "\udcff":
            return "not valid UTF-8"
        if (character < " " or character == "\x7f") and character not in allowed_controls:
            return f"control character U+{ord(character):04X}"
    return None
