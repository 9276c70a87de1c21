"""The run's pool of built-in provider processes, reattached by Terraform (TF_REATTACH_PROVIDERS).

Real Terraform, real provider processes: a pooled process serves the command (Terraform starts
none of its own), each lease starts from the command's own directory and environment, commands at
the same time get different processes, and the processes end with the orchestrator.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from orchestrator.local_provider import ACCOUNT_ENV, LAUNCHER, cli_environment, pool
from helpers import processes_running
from tests.local_provider.conftest import PROVIDER_TF, VERSIONS_TF, terraform

pytestmark = [pytest.mark.terraform]

CALLER = """
data "aws_caller_identity" "current" {}
resource "aws_vpc" "this" {
  cidr_block = "10.0.0.0/16"
}
output "account" { value = data.aws_caller_identity.current.account_id }
output "tags" { value = aws_vpc.this.tags_all }
"""
NO_ACCOUNTS_PROVIDER = PROVIDER_TF.replace('  allowed_account_ids = ["111111111111"]\n', "")


def _workdir(root: Path, env: dict[str, str], provider_tf: str = PROVIDER_TF) -> Path:
    root.mkdir(parents=True)
    (root / "versions.tf").write_text(VERSIONS_TF + provider_tf)
    (root / "main.tf").write_text(CALLER)
    terraform(root, "init", "-no-color", "-input=false", env=env)
    return root


def _base_environ(env: dict[str, str]) -> dict[str, str]:
    return {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1", **env}


@pytest.fixture
def setup(tmp_path):
    env = cli_environment(tmp_path / "cache", tmp_path / "cloud")
    provider_pool = pool.ProviderPool(tmp_path / "cache", _base_environ(env), tmp_path / "pool.log")
    yield tmp_path, env, provider_pool
    provider_pool.close()


def _break_launcher(cache: Path) -> None:
    """From now on a provider that Terraform starts itself fails at once."""
    launcher = cache / LAUNCHER
    launcher.write_text("#!/bin/sh\necho 'started by Terraform, not reattached' >&2\nexit 1\n")


def _apply(workdir: Path, env: dict[str, str], extra: dict[str, str], check: bool = True):
    return terraform(workdir, "apply", "-auto-approve", "-no-color", "-input=false", env={**env, **extra}, check=check)


def test_a_pooled_process_serves_the_command_and_terraform_starts_none(setup):
    tmp_path, env, provider_pool = setup
    workdir = _workdir(tmp_path / "work", env)
    provider_pool.warm()
    with provider_pool.lease(workdir, _base_environ(env)) as extra:
        assert set(extra) == {"TF_REATTACH_PROVIDERS"}
        reattach = json.loads(extra["TF_REATTACH_PROVIDERS"])
        # Terraform's name for hashicorp/aws and OpenTofu's, both to the same process
        assert set(reattach) == {"registry.terraform.io/hashicorp/aws", "registry.opentofu.org/hashicorp/aws"}
        assert all(c["Test"] is True and c["Addr"]["Network"] == "unix" for c in reattach.values())
        _break_launcher(tmp_path / "cache")  # the pool's process is already running
        done = _apply(workdir, env, extra)
    assert "Apply complete! Resources: 1 added" in done.stdout
    # without the lease, Terraform starts the provider itself: the broken launcher shows it would fail
    refused = terraform(workdir, "plan", "-no-color", "-input=false", env=env, check=False)
    assert refused.code != 0 and "Failed to load plugin schemas" in refused.output


def test_each_lease_starts_from_the_commands_directory_and_environment(setup):
    """One process, two commands: the second sees its own account and its own default tags only."""
    tmp_path, env, provider_pool = setup
    first = _workdir(tmp_path / "first", env)
    second = _workdir(tmp_path / "second", env, NO_ACCOUNTS_PROVIDER.replace(
        'tags = { ManagedBy = "orchestrator" }', 'tags = { Team = "payments" }'))
    with provider_pool.lease(first, _base_environ(env)) as extra:
        _apply(first, env, extra)
        used = extra
    with provider_pool.lease(second, {**_base_environ(env), ACCOUNT_ENV: "222222222222"}) as extra:
        assert extra == used  # the same process, leased again
        _apply(second, env, extra)
    outputs = json.loads(terraform(second, "output", "-json", env=env).stdout)
    assert outputs["account"]["value"] == "222222222222"
    assert outputs["tags"]["value"] == {"Team": "payments"}
    first_outputs = json.loads(terraform(first, "output", "-json", env=env).stdout)
    assert first_outputs["account"]["value"] == "111111111111"


def test_commands_at_the_same_time_get_different_processes(setup):
    tmp_path, env, provider_pool = setup
    seen, both_in, release = [], threading.Barrier(2, timeout=60), threading.Event()

    def hold():
        with provider_pool.lease(tmp_path, _base_environ(env)) as extra:
            seen.append(json.loads(extra["TF_REATTACH_PROVIDERS"])["registry.terraform.io/hashicorp/aws"]["Pid"])
            both_in.wait()
            release.wait(60)

    threads = [threading.Thread(target=hold) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    release.set()
    for thread in threads:
        thread.join(60)
    assert len(seen) == 2 and seen[0] != seen[1]


def test_two_provider_configurations_in_one_command_are_refused_not_mixed(setup):
    tmp_path, env, provider_pool = setup
    workdir = _workdir(tmp_path / "work", env, PROVIDER_TF + textwrap.dedent("""
        provider "aws" {
          alias  = "use1"
          region = "us-east-1"
        }
        data "aws_region" "other" {
          provider = aws.use1
        }
        """))
    with provider_pool.lease(workdir, _base_environ(env)) as extra:
        done = _apply(workdir, env, extra, check=False)
    assert done.code != 0 and "serves one provider configuration" in done.output
    assert "ORCHESTRATOR_PROVIDER_POOL=0" in done.output


def test_a_pool_that_cannot_start_leaves_terraform_to_start_the_provider(setup):
    tmp_path, env, provider_pool = setup
    workdir = _workdir(tmp_path / "work", env)
    (tmp_path / "cache" / LAUNCHER).rename(tmp_path / "cache" / "moved-away")
    with provider_pool.lease(workdir, _base_environ(env)) as extra:
        assert extra == {}
    assert "this command starts its own provider" in (tmp_path / "pool.log").read_text()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_gone(pids: list[int], seconds: float = 10) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if _alive(p)]


def test_the_processes_end_with_close(setup):
    tmp_path, env, provider_pool = setup
    with provider_pool.lease(tmp_path, _base_environ(env)) as extra:
        pid = json.loads(extra["TF_REATTACH_PROVIDERS"])["registry.terraform.io/hashicorp/aws"]["Pid"]
    provider_pool.close()
    assert _wait_gone([pid]) == []
    with provider_pool.lease(tmp_path, _base_environ(env)) as extra:
        assert extra == {}  # closed: nothing new is started


def test_the_processes_end_when_the_orchestrator_is_killed(tmp_path):
    """SIGKILL leaves no chance to close the pool: the processes see their stdin close and stop."""
    script = textwrap.dedent(f"""
        import json, os, sys, time
        sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
        from pathlib import Path
        from orchestrator.local_provider import cli_environment, pool
        env = {{**os.environ, **cli_environment(Path({str(tmp_path / 'cache')!r}), Path({str(tmp_path / 'cloud')!r}))}}
        p = pool.ProviderPool(Path({str(tmp_path / 'cache')!r}), env, Path({str(tmp_path / 'pool.log')!r}))
        with p.lease(Path({str(tmp_path)!r}), env) as extra:
            pid = json.loads(extra["TF_REATTACH_PROVIDERS"])["registry.terraform.io/hashicorp/aws"]["Pid"]
        print(pid, flush=True)
        time.sleep(600)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        leased = int(proc.stdout.readline())
        deadline = time.monotonic() + 30
        while len(_pool_processes(tmp_path / "cache")) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)  # the spare the lease asked for
        pids = _pool_processes(tmp_path / "cache")
        assert leased in pids and len(pids) == 2
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert _wait_gone(pids) == []


def _pool_processes(cache: Path) -> list[int]:
    """Processes running this cache's launcher."""
    return processes_running(str(cache / LAUNCHER))
