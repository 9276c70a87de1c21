"""The real provider's processes, one per stack, reattached by each of the stack's commands.

Pure parts (which binary, which configurations qualify, the key) on files; the rest on real
Terraform with the real hashicorp/aws provider built here (skipped where it is not built), on a
configuration that plans without any API call (fake credentials, every lookup skipped).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from helpers import processes_running
from orchestrator.terraform import real_provider_pool
from orchestrator.terraform.real_provider_pool import RealProviderPool, installed_provider, one_configuration, usable

PROVIDER = """
provider "aws" {
  region                      = "us-east-1"
  access_key                  = "fake"
  secret_key                  = "fake"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}
"""
ALIAS = """
provider "aws" {
  alias                       = "east2"
  region                      = "us-east-2"
  access_key                  = "fake"
  secret_key                  = "fake"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}
"""
RESOURCES = """
resource "aws_sqs_queue" "this" {
  name = var.name
}
variable "name" {
  type    = string
  default = "pooled"
}
"""
LOCK = 'provider "registry.terraform.io/hashicorp/aws" {\n  version = "6.0.0"\n  hashes = []\n}\n'


# Pure: which binary, which configurations ----------------------------------------------------------

def _installed(workdir: Path, *names: str) -> None:
    (workdir / ".terraform.lock.hcl").write_text(LOCK)
    folder = workdir / ".terraform" / "providers" / "registry.terraform.io" / "hashicorp" / "aws" / "6.0.0" / real_provider_pool._platform()
    folder.mkdir(parents=True)
    for name in names:
        (folder / name).write_text("#!/bin/sh\n")
        (folder / name).chmod(0o755)


def test_the_binary_is_the_one_init_installed_for_the_locked_version(tmp_path):
    _installed(tmp_path, "terraform-provider-aws_v6.0.0_x5")
    source, binary = installed_provider(tmp_path, {})
    assert source == "registry.terraform.io/hashicorp/aws"
    assert binary.name == "terraform-provider-aws_v6.0.0_x5"
    (tmp_path / ".terraform.lock.hcl").write_text(LOCK.replace("6.0.0", "6.1.0"))
    assert installed_provider(tmp_path, {}) is None  # the locked version is not installed: Terraform's call


def test_no_binary_is_guessed(tmp_path):
    assert installed_provider(tmp_path, {}) is None  # not initialised
    _installed(tmp_path, "terraform-provider-aws_v6.0.0_x5", "terraform-provider-aws_v6.0.0")
    assert installed_provider(tmp_path, {}) is None  # two candidates


def test_tf_data_dir_is_where_init_installed(tmp_path):
    _installed(tmp_path, "terraform-provider-aws_v6.0.0_x5")
    (tmp_path / ".terraform").rename(tmp_path / "elsewhere")
    assert installed_provider(tmp_path, {}) is None
    assert installed_provider(tmp_path, {"TF_DATA_DIR": "elsewhere"}) is not None


def test_one_configuration_only(tmp_path):
    (tmp_path / "provider.tf").write_text(PROVIDER)
    (tmp_path / "main.tf").write_text(RESOURCES)
    assert one_configuration(tmp_path, {})
    (tmp_path / "alias.tf").write_text(ALIAS)
    assert not one_configuration(tmp_path, {})  # two configurations would share the process
    (tmp_path / "alias.tf").unlink()
    (tmp_path / "more.tf.json").write_text(json.dumps({"provider": {"aws": [{"alias": "x", "region": "eu-west-1"}]}}))
    assert not one_configuration(tmp_path, {})
    (tmp_path / "more.tf.json").unlink()
    (tmp_path / "versions.tf").write_text('terraform {\n  required_providers {\n    aws = {\n'
                                          '      source = "hashicorp/aws"\n      configuration_aliases = [aws.x]\n    }\n  }\n}\n')
    assert not one_configuration(tmp_path, {})


def test_a_child_module_with_its_own_provider_block_is_left_to_terraform(tmp_path):
    (tmp_path / "provider.tf").write_text(PROVIDER)
    child = tmp_path / "modules" / "queue"
    child.mkdir(parents=True)
    (child / "main.tf").write_text(RESOURCES)
    manifest = tmp_path / ".terraform" / "modules" / "modules.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"Modules": [{"Key": "", "Source": "", "Dir": "."},
                                                {"Key": "queue", "Source": "./modules/queue", "Dir": "modules/queue"}]}))
    assert one_configuration(tmp_path, {})
    (child / "provider.tf").write_text(PROVIDER)
    assert not one_configuration(tmp_path, {})


def test_a_provider_that_does_not_start_leaves_the_command_to_terraform(tmp_path):
    workdir = tmp_path / "stack"
    workdir.mkdir()
    (workdir / "provider.tf").write_text(PROVIDER)
    _installed(workdir, "terraform-provider-aws_v6.0.0_x5")  # a script that prints no reattach line
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    pool = RealProviderPool(tmp_path / "pool.log", runtime)
    with pool.lease(workdir, {"PATH": os.environ["PATH"]}) as extra:
        assert extra == {}
    assert "this command starts its own provider" in (tmp_path / "pool.log").read_text()
    pool.close()


def test_asked_for_logs_keep_the_provider_where_terraform_logs_it():
    assert usable({"PATH": "/bin"})
    assert not usable({"TF_LOG": "DEBUG"})
    assert not usable({"TF_LOG_PROVIDER": "TRACE"})


def test_the_key_is_the_working_directory_the_binary_and_the_environment(tmp_path):
    workdir, binary = tmp_path / "stack", tmp_path / "provider"
    workdir.mkdir()
    binary.write_text("x")
    key = RealProviderPool.key(workdir, binary, {"AWS_PROFILE": "dev"})
    assert RealProviderPool.key(workdir, binary, {"AWS_PROFILE": "dev"}) == key
    assert RealProviderPool.key(workdir, binary, {"AWS_PROFILE": "prod"}) != key  # credentials come from it
    assert RealProviderPool.key(tmp_path, binary, {"AWS_PROFILE": "dev"}) != key  # relative paths resolve there
    os.utime(binary, ns=(1, 1))
    assert RealProviderPool.key(workdir, binary, {"AWS_PROFILE": "dev"}) != key  # init -upgrade


def test_a_process_whose_folder_was_deleted_is_told_apart(tmp_path):
    folder = tmp_path / "stack"
    folder.mkdir()
    process = subprocess.Popen(["sleep", "30"], cwd=folder)
    try:
        assert not real_provider_pool.folder_deleted(process.pid)
        shutil.rmtree(folder)
        folder.mkdir()  # the same path again, maybe the same inode: still not the process's folder
        assert real_provider_pool.folder_deleted(process.pid) == Path("/proc").is_dir()
    finally:
        process.kill()
        process.wait()


# Real Terraform, real provider -------------------------------------------------------------------

def _real_provider():
    from orchestrator.tools import real_provider_mirror

    found = real_provider_mirror()
    if found is None:
        pytest.skip("the real hashicorp/aws provider is not built here: python -m orchestrator tools build terraform-provider-aws")
    return found


@pytest.fixture
def real(tmp_path, monkeypatch):
    """A CLI configuration installing the real provider, the environment of every command, a pool."""
    from orchestrator.terraform import bundled, engine, workdir

    mirror, version = _real_provider()
    config = tmp_path / "real.tfrc"
    config.write_text(workdir.real_provider_cli_configuration(mirror))
    environ = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1", "TF_CLI_CONFIG_FILE": str(config)}
    for name in [name for name in environ if name.startswith("TF_LOG") or name == "TF_PLUGIN_CACHE_DIR"]:
        environ.pop(name)
    bundled.prepare_environment(environ)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    pool = RealProviderPool(tmp_path / "pool.log", runtime)
    binary = engine.resolve_binary()
    yield tmp_path, environ, pool, binary, version
    pool.close()


def _stack(root: Path, name: str, version: str, environ: dict, binary, extra: str = "") -> Path:
    from orchestrator.terraform import engine

    path = root / name
    path.mkdir()
    (path / "versions.tf").write_text('terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n'
                                      f'      version = "{version}"\n    }}\n  }}\n}}\n' + PROVIDER + extra)
    (path / "main.tf").write_text(RESOURCES)
    done = engine.Terraform(path, path / "terraform.log", environ, binary).init()
    assert done.returncode == 0, (path / "terraform.log").read_text()[-2000:]
    return path


class _Watcher:
    """The real provider's processes working in ``folder`` while commands run: (pid, parent pid) of each."""

    def __init__(self, folder: Path):
        self.folder = str(folder)
        self.seen: set[tuple[int, int]] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self):
        while not self._stop.is_set():
            for pid in processes_running("terraform-provider-aws"):
                try:
                    stat = Path(f"/proc/{pid}/stat").read_text()
                    exe, cwd = os.readlink(f"/proc/{pid}/exe"), os.readlink(f"/proc/{pid}/cwd")
                except OSError:
                    continue
                if "terraform-provider-aws" in exe and cwd == self.folder:
                    self.seen.add((pid, int(stat.rsplit(")", 1)[1].split()[1])))
            time.sleep(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _terraform(path: Path, environ: dict, binary, pool):
    from orchestrator.terraform import engine

    return engine.Terraform(path, path / "terraform.log", environ, binary, provider_lease=pool.lease)


def _served(pool_log: Path) -> list[str]:
    return [line.split(" ", 1)[1] for line in pool_log.read_text().splitlines() if " lease process " in line]


@pytest.mark.terraform
@pytest.mark.real_provider
def test_a_stacks_commands_share_one_provider_process_and_terraform_starts_none(real):
    root, environ, pool, binary, version = real
    stack = _stack(root, "queue", version, environ, binary)
    terraform = _terraform(stack, environ, binary, pool)
    with _Watcher(stack) as watcher:
        planned = terraform.plan([], stack / "plan.tfplan")
        shown = terraform.show_json(stack / "plan.tfplan")
        again = terraform.plan([], stack / "plan.tfplan")
    assert planned.returncode == 2 and again.returncode == 2, (stack / "terraform.log").read_text()[-2000:]
    assert json.loads(shown.stdout)["resource_changes"][0]["change"]["after"]["name"] == "pooled"
    served = _served(root / "pool.log")
    assert len(served) == 3 and len(set(served)) == 1, served  # one process, three commands
    pid = int(served[0].split()[2].rstrip(":"))
    parents = {parent for _pid, parent in watcher.seen}
    assert {p for p, _ in watcher.seen} == {pid}, watcher.seen  # Terraform started no provider of its own
    assert all(Path(f"/proc/{parent}/cmdline").read_bytes().find(b"provider_watchdog") >= 0 for parent in parents)


@pytest.mark.terraform
@pytest.mark.real_provider
def test_each_stack_and_each_environment_has_its_own_process(real):
    root, environ, pool, binary, version = real
    first, second = (_stack(root, name, version, environ, binary) for name in ("first", "second"))
    for path in (first, second):
        assert _terraform(path, environ, binary, pool).plan([], path / "plan.tfplan").returncode == 2
    other = {**environ, "AWS_PROFILE_UNUSED": "another"}
    assert _terraform(first, other, binary, pool).plan([], first / "plan.tfplan").returncode == 2
    served = _served(root / "pool.log")
    pids = [line.split()[2] for line in served]
    assert len(set(pids)) == 3, served  # never a process of another stack, nor of another environment


@pytest.mark.terraform
@pytest.mark.real_provider
def test_a_configuration_with_aliases_is_left_to_terraform(real):
    root, environ, pool, binary, version = real
    stack = _stack(root, "aliased", version, environ, binary, extra=ALIAS)
    with _Watcher(stack) as watcher:
        assert _terraform(stack, environ, binary, pool).plan([], stack / "plan.tfplan").returncode == 2
    assert not (root / "pool.log").exists() or _served(root / "pool.log") == []
    assert watcher.seen, "Terraform started the provider itself"


@pytest.mark.terraform
@pytest.mark.real_provider
def test_a_process_is_not_reused_after_a_failed_command(real):
    root, environ, pool, binary, version = real
    stack = _stack(root, "failing", version, environ, binary)
    terraform = _terraform(stack, environ, binary, pool)
    assert terraform.plan([], stack / "plan.tfplan").returncode == 2
    (stack / "bad.tfvars").write_text('name = "not a valid queue name!"\n')
    assert terraform.plan([stack / "bad.tfvars"], stack / "plan.tfplan").returncode == 1
    assert terraform.plan([], stack / "plan.tfplan").returncode == 2
    pids = [line.split()[2] for line in _served(root / "pool.log")]
    assert pids[0] == pids[1] != pids[2], pids  # the failed command's process was stopped, not handed on


@pytest.mark.terraform
@pytest.mark.real_provider
def test_the_provider_stops_when_the_orchestrator_is_killed(real, tmp_path):
    root, environ, _pool, binary, version = real
    stack = _stack(root, "orphan", version, environ, binary)
    script = textwrap.dedent(f"""
        import json, sys, time
        from pathlib import Path
        from orchestrator.terraform.real_provider_pool import RealProviderPool
        pool = RealProviderPool(Path({str(tmp_path / 'orphan.log')!r}), Path({str(root / 'runtime')!r}))
        environ = json.loads(sys.stdin.readline())
        with pool.lease(Path({str(stack)!r}), environ) as extra:
            print(json.loads(extra["TF_REATTACH_PROVIDERS"]).popitem()[1]["Pid"], flush=True)
            time.sleep(600)
    """)
    holder = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[2])
    holder.stdin.write(json.dumps(environ) + "\n")
    holder.stdin.flush()
    pid = int(holder.stdout.readline())
    assert Path(f"/proc/{pid}").exists()
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    deadline = time.monotonic() + 20
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(pid)


@pytest.mark.terraform
@pytest.mark.real_provider
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_the_provider_stops_when_its_watchdog_is_killed(real, how):
    root, environ, pool, binary, version = real
    stack = _stack(root, f"watched-{how.name}", version, environ, binary)
    with pool.lease(stack, environ) as extra:
        pid = json.loads(extra["TF_REATTACH_PROVIDERS"]).popitem()[1]["Pid"]
    watchdog = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    assert b"provider_watchdog" in Path(f"/proc/{watchdog}/cmdline").read_bytes()
    os.kill(watchdog, how)
    deadline = time.monotonic() + 20
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(pid)


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False
