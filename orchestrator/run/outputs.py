"""Stack outputs from state: what `output`, `status`, `promote` and every downstream stack read.

A local state file is read directly: its ``outputs`` are what ``terraform output -json`` prints, and
reading them costs no Terraform process (and no init). State in S3 (or a local file this code does
not know: another format version, encrypted, half written) is read by ``terraform output -json`` in
an initialised working directory. Neither needs the environment's secrets, so nothing here resolves them.
"""

from __future__ import annotations

import json
from pathlib import Path

from orchestrator.run.workspace import Workspaces
from orchestrator.terraform import engine

STATE_FORMAT = 4  # the state file format of Terraform 0.12 and later (and OpenTofu's, unencrypted)


def local_outputs(state_file: Path) -> dict | None:
    """``terraform output -json`` of a local state file, read without Terraform: {} when the stack was
    never applied (no file, or the empty file a plan creates to lock it); None when Terraform must be
    asked (a format this code does not read, a file half written)."""
    try:
        text = state_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError:
        return None
    if not text.strip():  # created empty by a Terraform command holding the state's lock: no state yet
        return {}
    try:
        state = json.loads(text)
    except ValueError:  # being written by another process
        return None
    if not isinstance(state, dict) or state.get("version") != STATE_FORMAT or not isinstance(state.get("outputs", {}), dict):
        return None
    return {name: {"sensitive": bool(item.get("sensitive")), "type": item.get("type"), "value": item.get("value")}
            for name, item in state.get("outputs", {}).items()}


class OutputsReader:
    def __init__(self, workspaces: Workspaces):
        self.workspaces = workspaces

    def read(self, name: str, with_sensitive: bool = True) -> dict:
        """Outputs of a stack as recorded in its state ({} when never applied).

        After an apply, the apply's own stream gave every output but the sensitive ones; state is
        read again only when a sensitive value is actually needed.
        """
        space = self.workspaces[name]
        with space.output_lock:
            partial = space.outputs is not None and not space.sensitive_outputs <= set(space.outputs)
            if space.outputs is None or (with_sensitive and partial):
                state_file = self.workspaces.local_state_file(name)
                raw = local_outputs(state_file) if state_file is not None else None
                if raw is None:
                    self.workspaces.ensure_initialised(name)
                    result = self.workspaces.check(self.workspaces.terraform(name).output_json(), name)
                    raw = json.loads(result.stdout or "{}")
                space.outputs = {key: item["value"] for key, item in raw.items()}
                space.sensitive_outputs = {key for key, item in raw.items() if item.get("sensitive")}
            return space.outputs

    def sensitive(self, name: str) -> set[str]:
        return self.workspaces[name].sensitive_outputs

    def remember_apply(self, name: str, apply_stdout: str, destroyed: bool) -> None:
        """The apply's own stream carries the new outputs, all but the sensitive values."""
        space = self.workspaces[name]
        with space.output_lock:
            space.outputs = None
            for message in engine.json_messages(apply_stdout):
                if message.get("type") == "outputs" and not destroyed:
                    raw = message["outputs"]
                    space.outputs = {key: item["value"] for key, item in raw.items() if "value" in item}
                    space.sensitive_outputs = {key for key, item in raw.items() if item.get("sensitive")}

    def for_report(self, name: str) -> tuple[dict, set[str]]:
        """Outputs for the summary and --json: sensitive ones are only named (shown masked)."""
        outputs = self.read(name, with_sensitive=False)
        sensitive = self.sensitive(name)
        return {**outputs, **{key: None for key in sensitive}}, sensitive
