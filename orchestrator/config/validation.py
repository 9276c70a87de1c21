"""Project files as typed values: the safe YAML loader, then a pydantic model, problems with lines.

Every YAML file of the project (environments, stacks.yaml, promotion.yaml) is read with
``yaml_source.load`` (safe types, no duplicate keys, size/depth/alias limits); a pydantic model
with ``extra="forbid"`` then turns its structure into values, and every validation error becomes a
``Problem`` naming the file, the key path, the line and the reason.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pydantic

from orchestrator.config.errors import InputError, Problem, did_you_mean
from orchestrator.config.yaml_source import dotted, load

Model = TypeVar("Model", bound=pydantic.BaseModel)


def _model_at(model: type[pydantic.BaseModel], key_path: tuple) -> type[pydantic.BaseModel] | None:
    """The schema section a key path points into, to suggest names for a misspelt key."""
    for part in key_path:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            return None
        candidates = [field.annotation, *typing.get_args(field.annotation)]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, pydantic.BaseModel)), None)
        if model is None:
            return None
    return model


def reason(error: dict, key_path: tuple, root: type[pydantic.BaseModel]) -> str:
    """One pydantic error as a person reads it."""
    kind = error["type"]
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        section = _model_at(root, key_path[:-1])
        known = list(section.model_fields) if section else []
        return f"unknown key{did_you_mean(key_path[-1], known, 'valid keys')}"
    message = error["msg"]
    if kind == "literal_error":
        message = message.replace("Input should be", "must be one of:")
    elif kind == "string_pattern_mismatch":
        message = f"{error['input']!r} does not match the pattern {error['ctx']['pattern']}"
    elif "input" in error and not isinstance(error["input"], (dict, list)):
        message = f"{message} (got {error['input']!r})"
    return message


def problems(error: pydantic.ValidationError, root: type[pydantic.BaseModel],
             locate: Callable[[tuple], tuple[str, int | None]]) -> list[Problem]:
    """Every error of a validation, located by ``locate(key_path) -> (file, line)``."""
    found = []
    for item in error.errors():
        key_path = tuple(part for part in item["loc"] if not str(part).startswith("function-") and part != "[key]")
        where, line = locate(key_path)
        found.append(Problem(where, dotted(key_path), reason(item, key_path, root), line))
    return found


def load_model(path: Path, display: str, model: type[Model]) -> Model:
    """A YAML file of the project as a validated model; every problem at once, with lines."""
    document = load(path, display)
    try:
        return model.model_validate(document.data)
    except pydantic.ValidationError as error:
        raise InputError(problems(error, model, lambda key_path: (display, document.line_of(key_path)))) from None
