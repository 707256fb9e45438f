"""Every YAML file netq reads (probe, collector, thresholds), read one way: with the line of
every key, so that each error names the file, the line and the key."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from netq.errors import ConfigError

Path_ = tuple[str | int, ...]
Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class Document:
    """A parsed file: its data, and where in the file each key was."""

    source: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def where(self, at: Path_) -> str:
        """`file:line: key.path` (the line of `at` or its nearest ancestor the file has)."""
        line = line_of(self.lines, at)
        key = dotted(at)
        return f"{self.source}{'' if line is None else f':{line}'}{f': {key}' if key else ''}"

    def error(self, at: Path_, message: str) -> ConfigError:
        return ConfigError(f"{self.where(at)}: {message}")

    def mapping(self, at: Path_ = ()) -> dict[str, Any]:
        """The mapping at `at` (an empty file is an empty mapping)."""
        value = self.data
        for key in at:
            value = value[key]
        if value is None and not at:
            return {}
        if not isinstance(value, dict):
            raise self.error(at, "must be a mapping of keys")
        return value

    def validate(self, model: type[Model], data: Any, at: Path_ = ()) -> Model:
        """`data` (found at `at`) as `model`; every problem named by file, line and key."""
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(describe(exc, self, at)) from None


def load(path: str | Path) -> Document:
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    return parse(text, str(path))


def parse(text: str, source: str) -> Document:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{source}{line}: not valid YAML: {problem}") from None
    lines: dict[Path_, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return Document(source, data, lines)


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


def dotted(at: Path_) -> str:
    """('tests', 1, 'count') -> 'tests[1].count'."""
    return ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in at).replace(".[", "[")


def describe(exc: ValidationError, document: Document, prefix: Path_ = ()) -> str:
    """One line per problem: `file:line: key.path: what is wrong`."""
    return "\n".join(
        f"{document.where((*prefix, *(p for p in error['loc'] if isinstance(p, str | int))))}"
        f": {error['msg'].removeprefix('Value error, ')}"
        for error in exc.errors())
