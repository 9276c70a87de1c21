"""Out-of-band changes to the built-in provider's "cloud", as a person in the console would make them.

    python -m orchestrator local-cloud list   ENV [TYPE]
    python -m orchestrator local-cloud edit   ENV TYPE ID KEY=VALUE [KEY=VALUE ...]
    python -m orchestrator local-cloud delete ENV TYPE ID

The local provider keeps every object of an environment in one store
(``.orchestrator/ENV[.local]/cloud/aws-objects.json``, ``local_provider.store``). These commands
change it behind Terraform's back, so that ``drift`` and ``status`` can be tried without a cloud:
``edit ... desired_count=3`` scales a service by hand, ``tags.Owner=alice`` retags, ``ingress=[...]``
adds a rule to a security group, ``delete`` removes an object. ``KEY`` is a dotted path into the
object; ``VALUE`` is read as JSON when it is JSON (``3``, ``true``, ``[...]``, ``{...}``, ``null``)
and as a string otherwise. ``ID`` is the object's id, ARN or name. Nothing else is touched:
Terraform's state still holds what was applied.
"""

from __future__ import annotations

import json
from typing import Any

from orchestrator.config.environment import EnvironmentLoader
from orchestrator.config.errors import InputError, Problem
from orchestrator.config.project import Project
from orchestrator.local_provider.store import SEQUENCES, Store
from orchestrator.terraform.target import Target


def store(project: Project, env_name: str) -> Store:
    """The local provider's store of the environment (its offline rehearsal's, for cloud environments)."""
    env = EnvironmentLoader(project).load(env_name)
    return Store(Target.of(env, "local").local_cloud_dir(project))


def _problem(key: str, reason: str) -> InputError:
    return InputError([Problem("<command line>", key, reason)])


def _find(objects: dict, type_name: str, key: str) -> tuple[str, dict]:
    if type_name not in objects or type_name == SEQUENCES:
        known = ", ".join(sorted(t for t in objects if t != SEQUENCES)) or "none: apply the environment first"
        raise _problem("TYPE", f"no object of type {type_name!r} in the local cloud; types: {known}")
    found = objects[type_name]
    if key in found:
        return key, found[key]
    for object_id, obj in found.items():
        if key in (obj.get("arn"), obj.get("name"), obj.get("id")):
            return object_id, obj
    raise _problem("ID", f"no {type_name} {key!r}; ids: {', '.join(sorted(found))}")


def parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _assign(obj: dict, path: str, value: Any) -> None:
    parts = path.split(".")
    target = obj
    for part in parts[:-1]:
        if not isinstance(target.get(part), dict):
            target[part] = {}
        target = target[part]
    target[parts[-1]] = value


def _name(obj: dict) -> str | None:
    """What a person calls the object: its name, else its Name tag."""
    return obj.get("name") or (obj.get("tags") or {}).get("Name")


def listing(project: Project, env_name: str, type_name: str | None = None) -> dict[str, dict[str, str | None]]:
    """Each type's objects, id -> name (None when it has neither name nor Name tag)."""
    objects = store(project, env_name).all()
    return {t: {object_id: _name(found[object_id]) for object_id in sorted(found)}
            for t, found in sorted(objects.items()) if t != SEQUENCES and (type_name is None or t == type_name)}


def listing_text(found: dict[str, dict[str, str | None]]) -> str:
    """One object per line: TYPE ID, and its name when it has one other than its id."""
    return "\n".join(f"{t} {object_id}" + (f"  {name}" if name and name != object_id else "")
                     for t, objects in found.items() for object_id, name in objects.items())


def edit(project: Project, env_name: str, type_name: str, key: str, assignments: list[str]) -> tuple[str, dict, dict]:
    """Change attributes of one object; returns its id, the object before and after."""
    if not assignments:
        raise _problem("KEY=VALUE", "name at least one attribute to change")
    target = store(project, env_name)
    object_id, obj = _find(target.all(), type_name, key)
    changed = json.loads(json.dumps(obj))
    for assignment in assignments:
        path, sep, text = assignment.partition("=")
        if not sep or not path:
            raise _problem("KEY=VALUE", f"{assignment!r} is not KEY=VALUE")
        _assign(changed, path, parse_value(text))
    target.put(type_name, object_id, changed)
    return object_id, obj, changed


def delete(project: Project, env_name: str, type_name: str, key: str) -> str:
    target = store(project, env_name)
    object_id, _obj = _find(target.all(), type_name, key)
    target.delete(type_name, object_id)
    return object_id
