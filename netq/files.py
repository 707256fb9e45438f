"""Files netq writes for others to read (reports, probe configurations and tokens, the probe's
plan cache): replaced whole or not at all, and never written through a link planted beside
or in their place."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def replace(path: Path, write: Callable[[Path], object], mode: int = 0o644) -> None:
    """`write` into a new file beside `path` (created exclusively under a random name, so no
    link can be there), flushed to disk, then renamed over `path` (a link at `path` is
    replaced, not followed); `mode`: 0o600 for what only the owner may read."""
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(handle)
    temporary = Path(name)
    try:
        write(temporary)
        temporary.chmod(mode)
        descriptor = os.open(temporary, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def text_of(text: str) -> Callable[[Path], object]:
    """A writer of `text` (UTF-8) for replace()."""
    return lambda path: path.write_text(text, "utf-8")
