"""Python values as HCL literals, so that any YAML value reaches Terraform verbatim.

Strings are escaped for HCL's quoted-template syntax: backslashes, quotes, control characters,
and the template sequences ``${`` and ``%{``, which Terraform would otherwise evaluate. A value can
therefore never become Terraform code.
"""

from __future__ import annotations

import math
import re

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_NEEDS_ESCAPE = re.compile(r'[\\"\x00-\x1f\x7f]|\$\{|%\{')
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def _escape(match: re.Match) -> str:
    text = match.group(0)
    if text == "${":
        return "$${"
    if text == "%{":
        return "%%{"
    return _ESCAPES.get(text) or f"\\u{ord(text):04x}"


def string(value: str) -> str:
    return '"' + _NEEDS_ESCAPE.sub(_escape, value) + '"'


def literal(value) -> str:
    """The HCL expression for a JSON-like Python value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} has no HCL form")
        return repr(value)
    if isinstance(value, str):
        return string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{string(str(key))} = {literal(item)}" for key, item in value.items()) + " }"
    raise TypeError(f"{type(value).__name__} has no HCL form")


def pretty(value, indent: str = "") -> str:
    """The HCL expression of a value, lists and maps over several lines (as `terraform output` prints them)."""
    inner = indent + "  "
    if isinstance(value, (list, tuple)) and value:
        return "[\n" + "".join(f"{inner}{pretty(item, inner)},\n" for item in value) + f"{indent}]"
    if isinstance(value, dict) and value:
        return "{\n" + "".join(f"{inner}{string(str(key))} = {pretty(item, inner)}\n" for key, item in value.items()) + f"{indent}}}"
    return literal(value)


def tfvars(values: dict) -> str:
    """A whole .tfvars file, one assignment per line."""
    lines = []
    for key, value in values.items():
        if not IDENTIFIER.fullmatch(key):
            raise ValueError(f"{key!r} is not a Terraform variable name")
        lines.append(f"{key} = {literal(value)}")
    return "\n".join(lines) + "\n"
