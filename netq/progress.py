"""Progress of long work, on stderr: shown when a person watches a terminal, silent when the
output goes to a file, a pipe or a journal."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any

import click


def watched() -> bool:
    return sys.stderr.isatty()


def bar(length: int, label: str) -> Any:
    """A progress bar over `length` units (click's), hidden unless stderr is a terminal."""
    return click.progressbar(length=length, label=label, file=sys.stderr, hidden=not watched())


def problems(found: Sequence[str], most: int = 100) -> None:
    """The first `most` problems on stderr, one a line, then how many more there were: a
    file wrong on every row must not bury the one message that says why."""
    for problem in found[:most]:
        click.echo(problem, err=True)
    if len(found) > most:
        click.echo(f"… and {len(found) - most} more problems", err=True)


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
