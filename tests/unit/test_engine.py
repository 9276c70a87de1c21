import os
import threading
import time
from pathlib import Path

import pytest

from orchestrator.terraform import engine


def test_plugin_cache_lock_serialises_inits(tmp_path):
    inside, overlaps, lock = [0], [0], threading.Lock()

    def init():
        with engine.plugin_cache_lock(str(tmp_path)):
            with lock:
                inside[0] += 1
                overlaps[0] = max(overlaps[0], inside[0])
            time.sleep(0.05)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=init) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps[0] == 1


def test_no_cache_no_lock(tmp_path, monkeypatch):
    """Without a shared cache there is nothing to protect: no lock file, and holders never wait."""
    import threading

    monkeypatch.chdir(tmp_path)
    with engine.plugin_cache_lock(None):
        inner = threading.Thread(target=lambda: engine.plugin_cache_lock(None).__enter__())
        inner.start()
        inner.join(timeout=5)
        assert not inner.is_alive()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.terraform
def test_terraform_bin_wins_then_path_then_bundled(tmp_path):
    own = tmp_path / "terraform"
    own.write_text("#!/bin/sh\necho mine\n")
    own.chmod(0o755)
    assert engine.resolve_binary({"TERRAFORM_BIN": str(own), "PATH": ""}) == engine.Binary(str(own), "TERRAFORM_BIN")
    assert engine.resolve_binary({"PATH": str(tmp_path)}).source == "PATH"
    tofu_only = tmp_path / "tofu-dir"
    tofu_only.mkdir()
    (tofu_only / "tofu").write_text("#!/bin/sh\n")
    (tofu_only / "tofu").chmod(0o755)
    assert engine.resolve_binary({"PATH": str(tofu_only)}).path.endswith("/tofu")
    bundled = engine.resolve_binary({"PATH": str(Path(engine._bundled_binary()).parent)})
    assert bundled.source == "bundled"  # this package's own `terraform` wrapper is not "the user's"
    assert engine.resolve_binary({"TERRAFORM_BIN": "bundled", "PATH": str(tmp_path)}).source == "bundled"


def test_unknown_terraform_bin_is_an_input_error():
    import pytest

    from orchestrator.config.errors import InputError

    with pytest.raises(InputError, match="TERRAFORM_BIN"):
        engine.resolve_binary({"TERRAFORM_BIN": "/nonexistent/terraform", "PATH": os.defpath})


def _fake(directory: Path, name: str, first_line: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    binary = directory / name
    binary.write_text(f"#!/bin/sh\necho '{first_line}'\n")
    binary.chmod(0o755)
    return binary


@pytest.mark.terraform
def test_a_terraform_older_than_the_minimum_is_refused_when_named(tmp_path):
    import pytest

    from orchestrator.config.errors import InputError

    old = _fake(tmp_path, "terraform", "Terraform v1.10.5")
    with pytest.raises(InputError) as refused:
        engine.resolve_binary({"TERRAFORM_BIN": str(old), "PATH": ""})
    assert "is Terraform 1.10.5; this project needs Terraform >= 1.11.0 or OpenTofu >= 1.10.0" in str(refused.value.problems[0])
    new = _fake(tmp_path / "new", "terraform", "Terraform v1.11.0")
    assert engine.resolve_binary({"TERRAFORM_BIN": str(new), "PATH": ""}).source == "TERRAFORM_BIN"


@pytest.mark.terraform
def test_an_old_terraform_on_path_is_passed_over_with_a_note(tmp_path):
    _fake(tmp_path / "a", "terraform", "Terraform v1.9.8")
    chosen = engine.resolve_binary({"PATH": str(tmp_path / "a")})
    assert chosen.source == "bundled" and "is Terraform 1.9.8, older than Terraform >= 1.11.0" in chosen.note
    _fake(tmp_path / "a", "tofu", "OpenTofu v1.10.6")
    chosen = engine.resolve_binary({"PATH": str(tmp_path / "a")})
    assert chosen.source == "PATH" and chosen.path.endswith("/tofu")


def test_versions_parse_both_engines():
    from orchestrator.terraform import versions

    assert versions.parse("Terraform v1.15.0\non linux_amd64") == versions.Version("Terraform", (1, 15, 0))
    assert versions.parse("OpenTofu v1.9.1").supported is False
    assert versions.parse("something else") is None


def test_every_module_requires_the_declared_minimum():
    from orchestrator.terraform import versions

    modules = Path(__file__).resolve().parents[2] / "terraform_modules"
    for module in sorted(p for p in modules.iterdir() if p.is_dir()):
        text = (module / "versions.tf").read_text()
        assert f'required_version = "{versions.REQUIRED_VERSION}"' in text, module.name


def test_each_command_line_as_python_terraform_builds_it():
    """The argument vectors, per command, without running Terraform (as terraform-exec tests them)."""
    plan = engine.plan_command([Path("env.tfvars"), Path("upstream.tfvars")], Path("plan.tfplan"))
    assert plan.argv("tf") == ["tf", "plan", "-no-color", "-input=false", "-detailed-exitcode",
                               "-var-file=env.tfvars", "-var-file=upstream.tfvars", "-out=plan.tfplan", "-json"]
    assert "-destroy" in engine.plan_command([], Path("p"), destroy=True).argv()
    assert "-refresh=false" in engine.plan_command([], Path("p"), refresh=False).argv()
    assert engine.init_command().argv() == ["terraform", "init", "-no-color", "-input=false"]
    assert engine.init_command(upgrade=True, readonly_lock=True).argv()[2:] == ["-no-color", "-input=false", "-upgrade", "-lockfile=readonly"]
    assert engine.apply_command(Path("plan.tfplan")).argv() == ["terraform", "apply", "-no-color", "-input=false", "-json", "plan.tfplan"]
    assert engine.show_command(Path("plan.tfplan")).argv() == ["terraform", "show", "-no-color", "plan.tfplan"]
    assert engine.show_json_command(Path("plan.tfplan")).argv() == ["terraform", "show", "-no-color", "-json", "plan.tfplan"]
    assert engine.show_json_command().argv() == ["terraform", "show", "-no-color", "-json"]
    assert engine.output_json_command().argv() == ["terraform", "output", "-no-color", "-json"]


def test_a_binarys_version_is_asked_once_and_remembered_across_runs(tmp_path, monkeypatch):
    from orchestrator.terraform import versions

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    asked = tmp_path / "asked"
    binary = tmp_path / "stand-in"  # a script that answers as Terraform would
    binary.write_text(f"#!/bin/sh\necho x >> {asked}\necho 'Terraform v1.15.5'\n")
    binary.chmod(0o755)
    monkeypatch.setattr(versions, "_probed", {})
    assert str(versions.probe(str(binary))) == "Terraform 1.15.5"
    monkeypatch.setattr(versions, "_probed", {})  # a new run: only the file remembers
    assert str(versions.probe(str(binary))) == "Terraform 1.15.5"
    assert asked.read_text().count("x") == 1
    binary.write_text(f"#!/bin/sh\necho x >> {asked}\necho 'Terraform v1.10.5'\n")  # another binary in its place
    assert str(versions.probe(str(binary))) == "Terraform 1.10.5"
    assert asked.read_text().count("x") == 2
