"""YAML read with the line of every key, so that a validation error can name its line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

Path_ = tuple[str | int, ...]


class YamlError(Exception):
    """A file that cannot be used, with a message that names the file and the line."""


def load(path: str | Path) -> tuple[Any, dict[Path_, int]]:
    """The document and, for every key and list item, its 1-based line."""
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise YamlError(f"cannot read {path}: {exc.strerror}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise YamlError(f"{path}: not valid YAML: {exc}") from None
    lines: dict[Path_, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return data, lines


def _walk(node: yaml.Node, at: Path_, lines: dict[Path_, int]) -> None:
    lines[at] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = (*at, key.value)
            _walk(value, path, lines)
            lines[path] = key.start_mark.line + 1  # the key's line, where a reader looks
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*at, index), lines)


def line_of(lines: dict[Path_, int], at: Path_) -> int | None:
    """The line of `at`, or of its nearest ancestor that the file has."""
    for cut in range(len(at), -1, -1):
        if at[:cut] in lines:
            return lines[at[:cut]]
    return None


def describe(exc: ValidationError, source: str, lines: dict[Path_, int],
             prefix: Path_ = ()) -> str:
    """One line per problem: `file:line: key.path: what is wrong`."""
    problems = []
    for error in exc.errors():
        at = (*prefix, *(p for p in error["loc"] if isinstance(p, str | int)))
        key = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in at)
        problems.append(f"{source}:{line_of(lines, at)}: {key.replace('.[', '[')}: "
                        f"{error['msg']}")
    return "\n".join(problems)
