"""A team-added stack's section of an environment, validated from its module's own variables.

The built-in stacks are validated by ``schema.Environment`` (pydantic) and ``rules``. A stack a team
adds itself (a module under terraform_modules/, its template and a stacks.yaml entry, no Python)
has no model there: its section is checked against what the module declares instead — every key
names a variable (with "did you mean"), values have the variable's Terraform type (``string``,
``number``, ``bool``, ``list/set/map(T)``, ``object({...})`` with ``optional(T, default)``,
``tuple``, ``any``), variables without a default must be given, and the ``validation`` blocks
whose condition is one of the common forms are evaluated here (``contains([...], var.x)``,
``can(regex("...", var.x))``, comparisons of ``var.x`` or ``length(var.x)`` with a number, joined
by ``&&``); any other condition is left to Terraform, which checks it at plan. Defaults are filled
in, so a template can refer to every variable of the section.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from orchestrator.config.errors import did_you_mean

# Variables the orchestrator feeds itself to every stack's template (not an environment key).
CONTEXT_VARIABLES = frozenset({"name", "tags"})


@dataclass(frozen=True)
class Variable:
    name: str
    type: str = "any"
    has_default: bool = False
    default: object = None
    validations: tuple[tuple[str, str], ...] = ()  # (condition, error_message)


def _strip(expression) -> str:
    text = str(expression).strip()
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1]
    return text.strip()


def from_declared(declared: dict) -> dict[str, Variable]:
    """Variables from module_info's ``variable_specs`` (label -> parsed body)."""
    found = {}
    for name, body in declared.items():
        validations = tuple((_strip(v.get("condition", "")), str(v.get("error_message", "")))
                            for v in body.get("validation", []) or [])
        found[name] = Variable(name, _strip(body.get("type", "any")) or "any", "default" in body,
                               body.get("default"), validations)
    return found


# ---- Terraform type constraints -------------------------------------------------------------

def _split_top(text: str, separator: str = ",") -> list[str]:
    parts, depth, current, quoted = [], 0, "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "([{":
            depth += 1
        elif not quoted and char in ")]}":
            depth -= 1
        if char == separator and depth == 0 and not quoted:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def _call(text: str) -> tuple[str, str] | None:
    match = re.fullmatch(r"([a-z]+)\((.*)\)", text.strip(), re.DOTALL)
    return (match.group(1), match.group(2).strip()) if match else None


def _object_fields(inner: str) -> dict[str, tuple[str, bool, object]]:
    """object({a = T, b = optional(T, default)}) -> name -> (type, optional, default)."""
    body = inner.strip()
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1]
    fields = {}
    for part in _split_top(body.replace("\n", ",")):
        if not part:
            continue
        key, _, type_text = part.partition("=")
        type_text = type_text.strip()
        call = _call(type_text)
        if call and call[0] == "optional":
            args = _split_top(call[1])
            default = _literal(args[1]) if len(args) > 1 else None
            fields[key.strip().strip('"')] = (args[0], True, default)
        else:
            fields[key.strip().strip('"')] = (type_text, False, None)
    return fields


def _literal(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text.strip('"')


def _type_name(value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "map"
    return type(value).__name__


def check_type(value, type_text: str, path: tuple) -> list[tuple[tuple, str]]:
    """(key path, reason) for every place ``value`` does not have the Terraform type."""
    type_text = type_text.strip()
    if value is None or type_text in ("any", ""):
        return []
    if type_text == "string":
        # Terraform converts numbers and bools to strings; YAML's 1.0 and true are meant as such rarely
        return [] if isinstance(value, str) else [(path, f"must be a string (got {_type_name(value)} {value!r})")]
    if type_text == "number":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return [] if ok else [(path, f"must be a number (got {_type_name(value)} {value!r})")]
    if type_text == "bool":
        return [] if isinstance(value, bool) else [(path, f"must be true or false (got {_type_name(value)} {value!r})")]
    call = _call(type_text)
    if call is None:
        return []  # a type this checker does not know: Terraform checks it
    kind, inner = call
    if kind in ("list", "set"):
        if not isinstance(value, list):
            return [(path, f"must be a list (got {_type_name(value)})")]
        return [found for index, item in enumerate(value) for found in check_type(item, inner, (*path, index))]
    if kind == "map":
        if not isinstance(value, dict):
            return [(path, f"must be a mapping (got {_type_name(value)})")]
        return [found for key, item in value.items() for found in check_type(item, inner, (*path, key))]
    if kind == "tuple":
        types = _split_top(inner.strip()[1:-1])
        if not isinstance(value, list) or len(value) != len(types):
            return [(path, f"must be a list of {len(types)} items")]
        return [found for index, (item, t) in enumerate(zip(value, types)) for found in check_type(item, t, (*path, index))]
    if kind == "object":
        if not isinstance(value, dict):
            return [(path, f"must be a mapping (got {_type_name(value)})")]
        fields = _object_fields(inner)
        found = []
        for key in value:
            if key not in fields:
                found.append(((*path, key), f"unknown key{did_you_mean(str(key), list(fields), 'valid keys')}"))
        for key, (field_type, optional, _) in fields.items():
            if key in value:
                found += check_type(value[key], field_type, (*path, key))
            elif not optional:
                found.append(((*path, key), "required key is missing"))
        return found
    return []


# ---- validation blocks --------------------------------------------------------------------

_NUMBER = r"-?\d+(?:\.\d+)?"
_COMPARE = re.compile(rf"^(length\()?var\.(\w+)\)?\s*(>=|<=|>|<|==|!=)\s*({_NUMBER})$")
_CONTAINS = re.compile(r"^contains\((\[.*\]),\s*var\.(\w+)\)$", re.DOTALL)
_REGEX = re.compile(r'^can\(regex\(("(?:[^"\\]|\\.)*"),\s*var\.(\w+)\)\)$')
_OPS = {">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, "<": lambda a, b: a < b,
        "==": lambda a, b: a == b, "!=": lambda a, b: a != b}


def _conjunct(text: str, values: dict) -> bool | None:
    """True/False for a condition of a known form over ``values``; None: not known (Terraform checks it)."""
    text = text.strip()
    while text.startswith("(") and text.endswith(")") and _call("f" + text) is not None:
        text = text[1:-1].strip()
    if match := _COMPARE.match(text):
        length, name, op, number = match.groups()
        if name not in values or values[name] is None:
            return None
        value = values[name]
        if length:
            value = len(value) if isinstance(value, (str, list, dict)) else None
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return None
        return _OPS[op](value, float(number))
    if match := _CONTAINS.match(text):
        try:
            allowed = json.loads(match.group(1))
        except ValueError:
            return None
        name = match.group(2)
        return None if name not in values else values[name] in allowed
    if match := _REGEX.match(text):
        name = match.group(2)
        if not isinstance(values.get(name), str):
            return None
        pattern = json.loads(match.group(1))
        try:
            return re.search(pattern, values[name]) is not None
        except re.error:
            return None
    return None


def evaluate(condition: str, values: dict) -> bool | None:
    """A condition of conjunctions of known forms; None when any part is of another form."""
    results = [_conjunct(part, values) for part in condition.split("&&")]
    if any(result is None for result in results):
        return None
    return all(results)


# ---- a section ----------------------------------------------------------------------------

def check_section(section, variables: dict[str, Variable], fed: set[str], path: tuple) -> tuple[dict, list[tuple[tuple, str]]]:
    """The section with the module's defaults filled in, and (key path, reason) problems."""
    if section is None:
        section = {}
    if not isinstance(section, dict):
        return {}, [(path, f"must be a mapping of the module's variables (got {_type_name(section)})")]
    settable = {name: v for name, v in variables.items() if name not in fed and name not in CONTEXT_VARIABLES}
    problems = []
    for key in section:
        if key in fed:
            problems.append(((*path, key), "is fed by an upstream output in stacks.yaml; remove it here"))
        elif key in CONTEXT_VARIABLES and key in variables:
            problems.append(((*path, key), "is set by the orchestrator for every stack (name: the environment's "
                                           "resource prefix, tags: its tags); remove it here"))
        elif key not in settable:
            problems.append(((*path, key), f"unknown key{did_you_mean(str(key), sorted(settable), 'valid keys')}"))
    values = {}
    for name, variable in sorted(settable.items()):
        if name in section:
            values[name] = section[name]
            problems += check_type(section[name], variable.type, (*path, name))
        elif variable.has_default:
            values[name] = variable.default
        else:
            problems.append(((*path, name), "required key is missing (the module's variable has no default)"))
    if problems:
        return values, problems
    for name, variable in sorted(settable.items()):
        for condition, message in variable.validations:
            if f"var.{name}" in condition and evaluate(condition, values) is False:
                problems.append(((*path, name), message or f"fails the module's validation: {condition}"))
    return values, problems
