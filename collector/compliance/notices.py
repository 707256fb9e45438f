"""What a computation says beside its figures (a source's unknown date, records counted apart,
time that did not measure what an indicator names): a message and its values, kept apart so
that a document can say it in its own language. The message is English, with %(name)s
placeholders: the catalogue's source (reports/locale); `str()` gives it filled in, as the
JSON output's `warnings` carry it.

A number is put after a colon rather than before a noun, so that no language needs a plural
form of the message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Notice:
    message: str
    params: dict[str, Any] = field(default_factory=dict)  # JSON values: str, int, float

    def __str__(self) -> str:
        return self.message % self.params

    def to_json(self) -> dict[str, Any]:
        return {"message": self.message, "params": self.params}
