"""cty types and values as the plugin protocol carries them.

Types are plain Python values: ``"string"``, ``"number"``, ``"bool"``, ``"dynamic"``,
``("list", T)``, ``("set", T)``, ``("map", T)``, ``("object", {name: T})``.
Values are plain Python values too: ``None`` is null, ``UNKNOWN`` is an unknown value, sets travel
as lists. On the wire values are msgpack, with unknown as extension type 0 (Terraform may also
send extension 12, a refined unknown, which is unknown to us as well).
"""

from __future__ import annotations

import json
from typing import Any

import msgpack


class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


# -- types -----------------------------------------------------------------------------------


def parse_type(text: str) -> Any:
    """Parse the catalog's type syntax: ``list(object({a=string,b=set(string)}))``."""
    value, rest = _parse(text.replace(" ", ""))
    if rest:
        raise ValueError(f"trailing text in type {text!r}: {rest!r}")
    return value


def _parse(text: str) -> tuple[Any, str]:
    for scalar in ("string", "number", "bool", "dynamic"):
        if text.startswith(scalar) and not text[len(scalar):].startswith("("):
            return scalar, text[len(scalar):]
    for kind in ("list", "set", "map"):
        if text.startswith(kind + "("):
            inner, rest = _parse(text[len(kind) + 1:])
            if not rest.startswith(")"):
                raise ValueError(f"expected ')' in {text!r}")
            return (kind, inner), rest[1:]
    if text.startswith("object({"):
        rest = text[len("object({"):]
        attrs: dict[str, Any] = {}
        while not rest.startswith("})"):
            name, _, rest = rest.partition("=")
            attrs[name], rest = _parse(rest)
            rest = rest[1:] if rest.startswith(",") else rest
        return ("object", attrs), rest[2:]
    raise ValueError(f"unknown type at {text!r}")


def type_json(t: Any) -> Any:
    """The cty JSON form of a type (what Terraform expects in a schema attribute)."""
    if isinstance(t, str):
        return t
    kind, inner = t
    if kind == "object":
        return ["object", {name: type_json(v) for name, v in inner.items()}]
    return [kind, type_json(inner)]


# -- wire ------------------------------------------------------------------------------------


def _ext_hook(code: int, data: bytes) -> Any:
    if code in (0, 12):
        return UNKNOWN
    return msgpack.ExtType(code, data)


def _default(value: Any) -> Any:
    if value is UNKNOWN:
        return msgpack.ExtType(0, b"")
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def decode(data: bytes) -> Any:
    if not data:
        return None
    return msgpack.unpackb(data, raw=False, ext_hook=_ext_hook, strict_map_key=False)


def encode(value: Any) -> bytes:
    return msgpack.packb(value, default=_default, use_bin_type=True)


# -- values ----------------------------------------------------------------------------------


def canonical(value: Any) -> str:
    """A string that is equal for equal values, list order included (see sort_sets for sets)."""
    return json.dumps(_canon(value), sort_keys=True, separators=(",", ":"))


def _canon(value: Any) -> Any:
    if value is UNKNOWN:
        return {"\x00unknown": True}
    if isinstance(value, dict):
        return {k: _canon(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canon(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def equal(a: Any, b: Any, t: Any) -> bool:
    return canonical(sort_sets(a, t)) == canonical(sort_sets(b, t))


def sort_sets(value: Any, t: Any) -> Any:
    """Order the elements of every set inside a value, so that equal sets compare equal."""
    if value is None or value is UNKNOWN or isinstance(t, str):
        return value
    kind, inner = t
    if kind == "object":
        return {k: sort_sets(value.get(k), inner.get(k, "dynamic")) for k in value}
    if kind == "map":
        return {k: sort_sets(v, inner) for k, v in value.items()}
    items = [sort_sets(v, inner) for v in value]
    if kind == "set":
        items.sort(key=canonical)
    return items


def convert(value: Any, t: Any, path: str = "") -> Any:
    """Coerce a JSON-like value (an old state, a store entry) to type ``t``.

    Missing object attributes become null, unexpected ones are dropped, scalars are converted the
    way Terraform converts them (``"true"`` -> true, ``"5"`` -> 5, 5 -> ``"5"``).
    """
    if value is None or value is UNKNOWN:
        return value
    if t == "dynamic":
        return value
    if t == "string":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, (int, float)):
            return str(value)
        if isinstance(value, str):
            return value
        raise ValueError(f"{path or 'value'}: string required")
    if t == "number":
        if isinstance(value, bool):
            raise ValueError(f"{path or 'value'}: number required")
        if isinstance(value, (int, float)):
            return value
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                raise ValueError(f"{path or 'value'}: number required, got {value!r}") from None
            return int(number) if number.is_integer() else number
        raise ValueError(f"{path or 'value'}: number required")
    if t == "bool":
        if isinstance(value, bool):
            return value
        if value in ("true", "1"):
            return True
        if value in ("false", "0"):
            return False
        raise ValueError(f"{path or 'value'}: bool required, got {value!r}")
    kind, inner = t
    if kind == "object":
        if not isinstance(value, dict):
            raise ValueError(f"{path or 'value'}: object required")
        return {k: convert(value.get(k), sub, f"{path}.{k}".lstrip(".")) for k, sub in inner.items()}
    if kind == "map":
        if not isinstance(value, dict):
            raise ValueError(f"{path or 'value'}: map required")
        return {k: convert(v, inner, f"{path}[{k!r}]") for k, v in value.items()}
    if isinstance(value, dict):
        raise ValueError(f"{path or 'value'}: {kind} required")
    return [convert(v, inner, f"{path}[{i}]") for i, v in enumerate(value)]


def zero(t: Any) -> Any:
    """What a computed attribute that the remote API leaves empty reads back as."""
    if t == "string":
        return ""
    if t == "number":
        return 0
    if t == "bool":
        return False
    if isinstance(t, tuple) and t[0] in ("list", "set"):
        return []
    if isinstance(t, tuple) and t[0] == "map":
        return {}
    return None
