"""CSV files as office programs save them: UTF-8 with or without a byte-order mark, or
Windows-1251 (what Excel writes for "CSV" in a Russian or Belarusian locale), separated by
commas or by semicolons (Excel's separator where the decimal mark is a comma). Anything else
is refused whole, with the command that converts it."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click

from netq import progress
from netq.errors import ConfigError

BOM = b"\xef\xbb\xbf"
CYRILLIC_SHARE = 0.8  # of a Windows-1251 text's letters beyond ASCII, at least
WORD = re.compile(r"[^\W\d_]+")


@dataclass
class Sheet:
    lines: Iterator[str]
    delimiter: str


@contextlib.contextmanager
def opened(path: Path, label: str) -> Iterator[Sheet]:
    """The file's lines, decoded, under a progress bar, and its separator (from the header
    line); says on stderr when it was read as Windows-1251."""
    data = path.read_bytes()
    encoding = _encoding(data, path)
    if encoding == "cp1251":
        click.echo(f"{path}: read as Windows-1251 (cp1251), as a spreadsheet saves CSV in a "
                   "Russian or Belarusian locale", err=True)
    text = data.decode(encoding)
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    with progress.bar(len(data), label) as shown:
        def counted() -> Iterator[str]:
            for line in text.splitlines(keepends=True):
                shown.update(len(line.encode(encoding, "replace")))
                yield line
        yield Sheet(counted(), delimiter)


def _encoding(data: bytes, path: Path) -> str:
    if data.startswith(BOM):
        data = data[len(BOM):]
        utf8 = "utf-8-sig"
    else:
        utf8 = "utf-8"
    try:
        data.decode("utf-8")
        return utf8
    except UnicodeDecodeError as exc:
        where = data[:exc.start].count(b"\n") + 1
        refusal = (f"{path}: line {where}: not UTF-8 text (byte 0x{data[exc.start]:02x}): "
                   "save it as \"CSV UTF-8\", or convert it: iconv -f WINDOWS-1251 -t UTF-8 "
                   f"{path} > {path.stem}-utf8{path.suffix}")
        if utf8 == "utf-8-sig":  # marked UTF-8 and yet not: nothing to guess
            raise ConfigError(refusal) from None
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError:
        raise ConfigError(refusal) from None
    # Windows-1251 if its letters beyond ASCII are Cyrillic, and no word mixes them with
    # Latin ones: Latin-1 read as Windows-1251 turns "Zürich" into "Zьrich"
    letters = [c for c in text if ord(c) > 127 and c.isalpha()]
    cyrillic = sum("\u0400" <= c <= "\u04ff" for c in letters)
    mixed = any(re.search("[A-Za-z]", word) and re.search("[\u0400-\u04ff]", word)
                for word in WORD.findall(text))
    if not letters or cyrillic < CYRILLIC_SHARE * len(letters) or mixed:
        raise ConfigError(refusal)
    return "cp1251"
