"""Shared test helpers: the fixture project, running the real CLI, reading its --json."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

TESTS = Path(__file__).parent
REPO = TESTS.parent
FIXTURE_PROJECT = TESTS / "fixtures" / "project"
SHARED = REPO.parent / "shared"
# What a private copy of the project leaves out: the developer's runs, caches and virtual environment.
PROJECT_COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", ".orchestrator", "__pycache__", "*.egg-info", ".terraform", "*.tfstate*", ".pytest_cache")


def copy_project(dest: Path, source: Path = REPO) -> Path:
    """A private copy of the project's working tree, with its git history (staging and prod pin their
    modules to a commit of it: `modules.ref`). The copy borrows the history's objects (git alternates),
    so it costs no copy of them; its HEAD is the project's, and what the working tree changed shows as
    uncommitted there, as in the developer's own clone."""
    shutil.copytree(source, dest, ignore=PROJECT_COPY_IGNORE)
    link_history(dest, source)
    return dest


def link_history(dest: Path, source: Path = REPO) -> None:
    head = subprocess.run(["git", "-C", str(source), "rev-parse", "--verify", "--quiet", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0:
        return  # not a clone (an unpacked archive): pinned environments say they need one
    objects = subprocess.run(["git", "-C", str(source), "rev-parse", "--path-format=absolute", "--git-common-dir"],
                             capture_output=True, text=True, check=True).stdout.strip() + "/objects"
    git = ["git", "-C", str(dest)]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    (dest / ".git" / "objects" / "info" / "alternates").write_text(objects + "\n")
    subprocess.run([*git, "update-ref", "refs/heads/main", head.stdout.strip()], check=True)
    subprocess.run([*git, "reset", "-q"], check=True)  # the index is HEAD's; the working tree stays the copy


@dataclass
class CliRun:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict:
        return json.loads(self.stdout)


# Variables that would point a test's runs somewhere else than its own project copy: a test passes
# them explicitly when it means to (the developer's shell, or another test, must not leak them in).
REDIRECTING_VARIABLES = ("ORCHESTRATOR_WORK_DIR", "ORCHESTRATOR_PROVIDER")


def cli_environment(root: Path, env: dict | None = None) -> dict[str, str]:
    """The environment of a CLI run on the project at ``root``: the test's own, plus ``env``."""
    inherited = {k: v for k, v in os.environ.items() if k not in REDIRECTING_VARIABLES}
    return {**inherited, "ORCHESTRATOR_ROOT": str(root), "COLUMNS": "200", **(env or {})}


def run_cli(root: Path, *args: str, env: dict | None = None, timeout: float = 300) -> CliRun:
    """Run `python -m orchestrator` as a user would, in a subprocess, with the project at ``root``."""
    environ = cli_environment(root, env)
    done = subprocess.run(
        [sys.executable, "-m", "orchestrator", *args],
        cwd=root,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return CliRun(done.returncode, done.stdout, done.stderr)


S3_STATE_BUCKET = "fx-tfstate-alpha"


def fixture_with_s3_state(root: Path) -> Path:
    """A copy of the fixture project at ``root`` whose alpha keeps state in S3 (bucket S3_STATE_BUCKET, key prefix fx)."""
    shutil.copytree(FIXTURE_PROJECT, root, ignore=shutil.ignore_patterns(".orchestrator"))
    with open(root / "environments" / "alpha.yaml", "a") as config:
        config.write(f"backend:\n  type: s3\n  bucket: {S3_STATE_BUCKET}\n  key_prefix: fx\n")
    return root


def by_name(document: dict) -> dict:
    """The stacks of a --json document, by name."""
    return {stack["name"]: stack for stack in document["stacks"]}





def edit_environment(root: Path, change, env: str = "local") -> None:
    """Apply ``change`` (a function of the parsed YAML) to environments/ENV.yaml of the project at ``root``."""
    path = root / "environments" / f"{env}.yaml"
    config = yaml.safe_load(path.read_text())
    change(config)
    path.write_text(yaml.safe_dump(config, sort_keys=False))


def state_of(root: Path, stack: str, env: str = "local") -> bytes | None:
    """The stack's local state file as it is (None when there is none)."""
    found = list((root / ".orchestrator").glob(f"{env}*/state/{stack}.tfstate"))
    return found[0].read_bytes() if found else None


def set_app_environment(root: Path, env: str, values: dict[str, str]) -> None:
    """Write fixture knobs (app.environment) into an environment file."""
    path = root / "environments" / f"{env}.yaml"
    marker = "# test knobs\n"
    text = path.read_text().split(marker)[0]
    lines = ["app:", "  environment:" + ("" if values else " {}")] + [f"    {k}: {json.dumps(v)}" for k, v in values.items()]
    path.write_text(text + marker + "\n".join(lines) + "\n")


def planned_network_input(root: Path, payload: str) -> dict:
    """Plan the fixture's network stack with PAYLOAD and return its planned terraform_data input and the plan."""
    set_app_environment(root, "alpha", {"PAYLOAD": payload})
    done = run_cli(root, "plan", "alpha", "--stack", "network", "--json")
    assert done.code == 0, done.stderr
    plan = json.loads(Path(done.json["stacks"][0]["plan_json"]).read_text())
    return plan["resource_changes"][0]["change"]["after"]["input"], plan


def load_bench(name: str):
    """A script of bench/ as a module (bench/ is not a package), to test its pure parts."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def processes_running(text: str) -> list[int]:
    """The processes whose command line contains ``text`` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and text in (entry / "cmdline").read_bytes().decode(errors="replace"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def started_kinds(argv) -> set[str]:
    """What a process started with ``argv`` is, by the tiers' markers (empty: nothing a tier counts)."""
    words = [str(word) for word in (argv if isinstance(argv, (list, tuple)) else [argv])]
    text = " ".join(words)
    names = {Path(word).name for word in words[:1]}
    kinds = set()
    if words[1:3] == ["-m", "orchestrator"] and {"--version", "--help", "-h"} & set(words):
        return kinds  # the command line itself, no project
    if "orchestrator.local_cloud.moto_server" in text or "moto.server" in text or names & {"moto_server"}:
        kinds.add("moto")
    elif names & {"terraform", "tofu", "orchestrator-terraform", "terragrunt"} or words[1:3] == ["-m", "orchestrator"]:
        kinds.add("terraform")
    cli = words[1:3] == ["-m", "orchestrator"]
    if cli and "--provider moto" in text and not TERRAFORM_FREE_COMMANDS & set(words[3:4]):
        kinds.add("real_provider")  # Terraform with the real hashicorp/aws provider, against moto
    return kinds


# Commands that run no Terraform whatever --provider says (bootstrap, for one, talks to moto through boto3).
TERRAFORM_FREE_COMMANDS = {"render", "validate", "graph", "schema", "bootstrap", "local-cloud", "tools", "atlantis-config",
                           "ci-config", "state-history"}


def require_checkov() -> str:
    """checkov's Python (installed once per machine into the tools cache), or skip the test: without
    it and without PyPI the policy checks cannot run here."""
    import pytest

    from orchestrator.tools import pypi

    try:
        pypi.install("checkov")
    except pypi.InstallError as error:
        pytest.skip(f"checkov is not installed and cannot be installed here ({error}); "
                    "install it with: python -m orchestrator tools build checkov")
    return pypi.command("checkov")[0]
