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
# bounds on what a file may ask of the reader: a plans file of a national fleet is well under
# a megabyte and a hundred thousand values, and no netq file nests deeper than a few levels
MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 32
MAX_VALUES = 100_000


class _Loader(yaml.SafeLoader):
    """The safe loader, refusing nesting deeper than MAX_DEPTH (before Python's recursion
    limit is reached)."""

    depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH and not isinstance(event, yaml.AliasEvent):
                raise yaml.composer.ComposerError(
                    None, None, f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _expanded(node: yaml.Node, seen: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """(values, depth) of `node` with every alias written out, each shared node computed
    once: a few hundred bytes of aliases can stand for billions of values, or nest deeper
    than any file does."""
    known = seen.get(id(node))
    if known is not None:
        if known[0] < 0:
            raise ConfigError("an alias refers to a value that contains it")
        return known
    seen[id(node)] = (-1, 0)
    children: list[yaml.Node] = []
    if isinstance(node, yaml.MappingNode):
        children = [part for pair in node.value for part in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    found = [_expanded(child, seen) for child in children]
    result = (1 + sum(values for values, _ in found),
              1 + max((depth for _, depth in found), default=0))
    seen[id(node)] = result
    return result


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


def read(path: str | Path) -> tuple[bytes, str]:
    """The file's bytes and its text, read no further than MAX_BYTES."""
    try:
        with Path(path).open("rb") as file:
            raw = file.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_BYTES:,} bytes: not a netq file")
    try:
        return raw, raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def load(path: str | Path) -> Document:
    return parse(read(path)[1], str(path))


def parse(text: str, source: str) -> Document:
    if len(text) > MAX_BYTES:
        raise ConfigError(f"{source}: larger than {MAX_BYTES:,} bytes: not a netq file")
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            try:
                values, depth = _expanded(node, {})
            except ConfigError as exc:
                raise ConfigError(f"{source}: {exc}") from None
            if values > MAX_VALUES or depth > MAX_DEPTH:
                raise ConfigError(f"{source}: more than {MAX_VALUES:,} values (an alias "
                                  "counts the values it stands for) or deeper than "
                                  f"{MAX_DEPTH} levels: not a netq file")
        data = None if node is None else loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{source}{line}: not valid YAML: {problem}") from None
    finally:
        loader.dispose()
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
