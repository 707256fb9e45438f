"""Progress of long work, on stderr: shown when a person watches a terminal, silent when the
output goes to a file, a pipe or a journal."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click


def watched() -> bool:
    return sys.stderr.isatty()


def bar(length: int, label: str) -> Any:
    """A progress bar over `length` units (click's), hidden unless stderr is a terminal."""
    return click.progressbar(length=length, label=label, file=sys.stderr, hidden=not watched())


@contextlib.contextmanager
def lines_of(path: Path, label: str) -> Iterator[Iterator[str]]:
    """The lines of a UTF-8 text file (a byte-order mark dropped), read under a progress bar.
    Bytes that are not UTF-8 arrive as lone surrogates (`netq.text`), for the reader of the
    line to name."""
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as text, \
            bar(path.stat().st_size, label) as shown:
        def counted() -> Iterator[str]:
            for line in text:
                shown.update(len(line.encode("utf-8", "surrogateescape")))
                yield line
        yield counted()


@contextlib.contextmanager
def step(what: str) -> Iterator[None]:
    """One stage of a long computation: named when it starts, timed when it ends."""
    if not watched():
        yield
        return
    click.echo(f"{what} …", err=True, nl=False)
    started = time.monotonic()
    yield
    click.echo(f" {time.monotonic() - started:.1f} s", err=True)
