"""Load YAML safely, remembering the line of every key.

Environment files arrive in pull requests from anyone, so loading is defensive: only YAML's
safe types, no duplicate keys, bounded size, depth and alias expansion. Every value keeps the
line it came from so that an error can point at it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from orchestrator.config.errors import InputError, Problem

MAX_BYTES = 1_000_000
MAX_DEPTH = 32
MAX_NODES = 100_000

KeyPath = tuple  # of str | int
_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


@dataclass
class Document:
    """A loaded YAML mapping and the line number of each key path in it."""

    path: Path
    data: dict
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line_of(self, key_path: KeyPath) -> int | None:
        """The line of the key, or of its nearest ancestor that is in the file."""
        key_path = tuple(key_path)
        while key_path:
            if key_path in self.lines:
                return self.lines[key_path]
            key_path = key_path[:-1]
        return None


def dotted(key_path: KeyPath) -> str:
    text = ""
    for part in key_path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class _Builder:
    def __init__(self, display: str):
        self.display = display
        self.lines: dict[KeyPath, int] = {}
        self.nodes = 0
        self.constructor = yaml.SafeLoader("")

    def fail(self, node: yaml.Node, key_path: KeyPath, reason: str) -> None:
        raise InputError([Problem(self.display, dotted(key_path), reason, node.start_mark.line + 1)])

    def build(self, node: yaml.Node, key_path: KeyPath = ()):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self.fail(node, key_path, f"more than {MAX_NODES} values (an alias bomb?)")
        if len(key_path) > MAX_DEPTH:
            self.fail(node, key_path, f"nested deeper than {MAX_DEPTH} levels")
        if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_TAGS:
            self.fail(node, key_path, f"unsupported YAML tag {node.tag}")
        if isinstance(node, yaml.MappingNode):
            self.constructor.flatten_mapping(node)  # merge keys (<<) resolved by PyYAML's own rules
            result = {}
            for key_node, value_node in node.value:
                key = self.build(key_node, key_path)
                if not isinstance(key, (str, int, bool, float)) or isinstance(key, bool):
                    self.fail(key_node, key_path, f"keys must be strings, not {type(key).__name__}")
                key = str(key)
                child = (*key_path, key)
                if key in result:
                    self.fail(key_node, child, f"duplicate key (first on line {self.lines[child]})")
                self.lines[child] = key_node.start_mark.line + 1
                result[key] = self.build(value_node, child)
            return result
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                child = (*key_path, index)
                self.lines[child] = item.start_mark.line + 1
                items.append(self.build(item, child))
            return items
        return self.constructor.construct_object(node, deep=True)


def load(path: Path, display: str | None = None) -> Document:
    """Load a YAML mapping from ``path``; any problem is an InputError naming file, key and line."""
    display = display or str(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InputError([Problem(display, "", f"cannot read: {error.strerror}")]) from None
    if len(raw) > MAX_BYTES:
        raise InputError([Problem(display, "", f"file is {len(raw)} bytes; the limit is {MAX_BYTES}")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError([Problem(display, "", f"not UTF-8 ({error.reason} at byte {error.start})")]) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else None
        raise InputError([Problem(display, "", f"invalid YAML: {error.problem}", line)]) from None
    except yaml.YAMLError as error:
        raise InputError([Problem(display, "", f"invalid YAML: {error}")]) from None
    if node is None:
        return Document(path, {}, {})
    builder = _Builder(display)
    try:
        data = builder.build(node)
    except yaml.constructor.ConstructorError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else None
        raise InputError([Problem(display, "", f"unsupported YAML: {error.problem}", line)]) from None
    if not isinstance(data, dict):
        raise InputError([Problem(display, "", f"the top level must be a mapping, not {type(data).__name__}", 1)])
    return Document(path, data, builder.lines)
