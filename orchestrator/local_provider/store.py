"""The local "cloud": one JSON file per environment holding every object the provider created.

Several provider processes (one per stack, stacks run in parallel) share one store, so every
change takes an exclusive ``fcntl`` lock on a side file, reads, modifies and atomically replaces
the JSON file. Readers take a shared lock, so they never see a half-written file.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from pathlib import Path
from typing import Any, Callable, Iterator

STORE_FILE = "aws-objects.json"
SEQUENCES = "~sequences"  # not a type name: counters kept next to the objects


class Store:
    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.path = self.directory / STORE_FILE
        self.lock_path = self.directory / (STORE_FILE + ".lock")

    @contextlib.contextmanager
    def _locked(self, exclusive: bool) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a+") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            with open(self.path, encoding="utf-8") as handle:
                return json.load(handle)
        except FileNotFoundError:
            return {}

    def _write(self, data: dict) -> None:
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)

    def get(self, type_name: str, object_id: str) -> dict | None:
        with self._locked(exclusive=False):
            return self._read().get(type_name, {}).get(object_id)

    def find(self, type_name: str, key: str, import_id: Callable[[dict], str] | None = None) -> dict | None:
        """An object by id, or else by ARN, name or its import id (what `terraform import` is given)."""
        with self._locked(exclusive=False):
            objects = self._read().get(type_name, {})
        if key in objects:
            return objects[key]
        for obj in objects.values():
            if key in (obj.get("arn"), obj.get("name")) or (import_id is not None and import_id(obj) == key):
                return obj
        return None

    def put(self, type_name: str, object_id: str, attrs: dict) -> None:
        with self._locked(exclusive=True):
            data = self._read()
            data.setdefault(type_name, {})[object_id] = attrs
            self._write(data)

    def delete(self, type_name: str, object_id: str) -> None:
        with self._locked(exclusive=True):
            data = self._read()
            if data.get(type_name, {}).pop(object_id, None) is not None:
                self._write(data)

    def next_in_sequence(self, name: str) -> int:
        """1, 2, 3... per name, never reused (like ECS task definition revisions)."""
        with self._locked(exclusive=True):
            data = self._read()
            sequences = data.setdefault(SEQUENCES, {})
            sequences[name] = sequences.get(name, 0) + 1
            self._write(data)
            return sequences[name]

    def all(self) -> dict[str, dict[str, Any]]:
        with self._locked(exclusive=False):
            return self._read()
