"""The commands of docs/operations.md as an operator would type them: every line of a `sh`
block that starts with a prompt (`# ` as root, `$ ` as a user), and the lines of a `cron`
block, in the guide's order."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tests.packaging import ROOT

GUIDE = ROOT / "docs" / "operations.md"
BLOCK = re.compile(r"^[ \t]*```(\w+)\n(.*?)^[ \t]*```", re.S | re.M)


@dataclass(frozen=True)
class Command:
    text: str  # as written, without the prompt and the comment after it
    prompt: str  # "#", "$", or "cron" for a line of /etc/cron.d


def commands(path: Path = GUIDE) -> list[Command]:
    found = []
    for language, body in BLOCK.findall(path.read_text()):
        for line in body.splitlines():
            line = line.strip()
            if language == "cron" and line and not line.startswith("#"):
                found.append(Command(line, "cron"))
            elif language == "sh" and line[:2] in ("# ", "$ "):
                found.append(Command(_without_comment(line[2:]), line[0]))
    return found


def _without_comment(text: str) -> str:
    """The command without a trailing `  # comment` (two spaces at least, outside quotes)."""
    quoted = None
    for i, char in enumerate(text):
        if char in "'\"" and quoted in (None, char):
            quoted = None if quoted else char
        elif char == "#" and quoted is None and text[max(0, i - 2):i] == "  ":
            return text[:i].rstrip()
    return text.rstrip()
