"""The real-tools builder (orchestrator/tools), without the network and without building anything:
command lines, cache layout, idempotence, failures and adoption, run against a fake `go` on PATH."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import sys
import textwrap
from pathlib import Path

import pytest
from rich.console import Console

from orchestrator import tools
from orchestrator.tools import builder
from orchestrator.cli import build_parser
from orchestrator.cli import tools_commands as cli
from orchestrator.tools import layout, measure, mirror
from orchestrator.tools.catalog import REPOSITORY, TOOLS, tool

PROVIDER_VERSION = "v1.60.1-0.20260602190131-5f2286d6d836"
PROVIDER_LDFLAGS = "-s -w -X github.com/hashicorp/terraform-provider-aws/version.ProviderVersion=6.47.1"

# A stand-in for `go`: it records each call, and builds "binaries" whose `go version -m` tells what they are.
FAKE_GO = '''#!{python}
import json, os, signal, sys
args = sys.argv[1:]
root = os.environ["FAKE_GO_ROOT"]
with open(os.path.join(root, "calls.jsonl"), "a") as calls:
    calls.write(json.dumps({{"args": args, "cwd": os.getcwd(), "GOBIN": os.environ.get("GOBIN"),
                            "CGO_ENABLED": os.environ.get("CGO_ENABLED")}}) + "\\n")
mode = os.environ.get("FAKE_GO_MODE", "ok")
if args[:1] == ["env"]:
    print("\\n".join(os.path.join(root, name) for name in args[1:]))
elif args[:2] == ["version", "-m"]:
    lines = [l[2:] for l in open(args[2]).read().splitlines() if l.startswith("#\\t")]
    print(args[2] + ": go1.26.8")
    print("\\n".join("\\t" + l for l in lines))
elif args[:1] == ["version"]:
    print("go version go1.26.8 linux/amd64")
elif args[:3] == ["mod", "download", "-json"]:
    module, version = args[3].split("@")
    folder = os.path.join(root, "GOMODCACHE", module + "@" + version)
    os.makedirs(folder, exist_ok=True)
    print(json.dumps({{"Path": module, "Version": version, "Dir": folder}}, indent="\\t"))
elif args[:1] in (["install"], ["build"]):
    ldflags = next((a.split("=", 1)[1] for a in args if a.startswith("-ldflags=")), "")
    if args[0] == "install":
        package, version = args[-1].split("@")
        target = os.path.join(os.environ["GOBIN"], package.rsplit("/", 1)[-1])
        info = ["path\\t" + package, "mod\\t" + package + "\\t" + version + "\\th1:x"]
    else:
        target = args[args.index("-o") + 1]
        info = ["path\\t" + os.environ.get("FAKE_GO_PATH", "example.com/tool")]
    print("go: downloading example.com/dep v1.0.0", file=sys.stderr)
    print("example.com/dep")
    if mode == "fail":
        print("# example.com/dep\\ndep.go:3:1: syntax error: unexpected }}", file=sys.stderr)
        sys.exit(1)
    with open(target, "w") as out:
        # as Go does: with -trimpath, -ldflags is left out of the build info
        settings = ["build\\t-trimpath=true"] if "-trimpath" in args else ['build\\t-ldflags="' + ldflags + '"']
        out.write("#!/bin/sh\\n" + "".join("#\\t" + l + "\\n" for l in info + settings))
        if mode == "die":
            out.flush()
            os.kill(os.getpid(), signal.SIGKILL)
    os.chmod(target, 0o755)
'''


@pytest.fixture
def fake_go(tmp_path, monkeypatch):
    """XDG_CACHE_HOME in tmp_path, and the fake `go` first on PATH; yields the calls it received."""
    bin_dir, root = tmp_path / "fakebin", tmp_path / "go"
    bin_dir.mkdir()
    root.mkdir()
    (root / "GOMODCACHE").mkdir()
    (root / "GOCACHE").mkdir()
    go = bin_dir / "go"
    go.write_text(FAKE_GO.format(python=sys.executable))
    go.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_GO_ROOT", str(root))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    def calls(first: str | None = None) -> list[dict]:
        path = root / "calls.jsonl"
        found = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
        return [c for c in found if first is None or c["args"][:1] == [first]]

    return calls


# --- command lines ---------------------------------------------------------------------------------

def test_the_provider_is_the_pinned_go_install_with_its_release_stamped():
    provider = tool("terraform-provider-aws")
    step = builder.install_step(provider, "go", Path("/stage/bin"))
    assert step.argv == ["go", "install", "-v", "-trimpath", f"-ldflags={PROVIDER_LDFLAGS}",
                         f"github.com/hashicorp/terraform-provider-aws@{PROVIDER_VERSION}"]
    assert step.env == {"GOBIN": "/stage/bin"} and step.cwd is None
    assert provider.release == "6.47.1" and provider.binary == "terraform-provider-aws"


def test_modules_with_replace_directives_are_built_inside_the_downloaded_module():
    tofu, terragrunt = tool("tofu"), tool("terragrunt")
    assert builder.download_step(tofu, "go").argv == ["go", "mod", "download", "-json", "github.com/opentofu/opentofu@v1.12.6"]
    step = builder.build_step(tofu, "go", Path("/stage/bin/tofu"), Path("/mod/opentofu@v1.12.6"))
    assert step.argv == ["go", "build", "-v", "-trimpath", "-ldflags=-s -w -X github.com/opentofu/opentofu/version.dev=no",
                         "-o", "/stage/bin/tofu", "./cmd/tofu"]
    assert step.cwd == Path("/mod/opentofu@v1.12.6") and "-mod=readonly" in step.env["GOFLAGS"].split()
    assert builder.build_step(terragrunt, "go", Path("/o"), Path("/m")).argv[-1] == "."
    assert dict(tofu.env) == dict(terragrunt.env) == {"CGO_ENABLED": "0"}


def test_every_tool_is_pinned_to_an_exact_version():
    for item in TOOLS:
        assert re.fullmatch(r"v\d+\.\d+\.\d+(-[0-9a-z.]+-[0-9a-f]{12})?", item.version), item
        assert item.method in ("install", "module", "source") and item.binary and item.release
    assert len({t.name for t in TOOLS}) == len(TOOLS)


def test_the_atlantis_checker_is_built_from_this_repository_and_its_source_is_its_key(tmp_path):
    checker = tool("atlantis-check")
    assert checker.source_dir == REPOSITORY / "tools" / "atlantis-check"
    assert f"github.com/runatlantis/atlantis {checker.version}" in (checker.source_dir / "go.mod").read_text()
    assert (checker.source_dir / "go.sum").is_file()
    step = builder.build_step(checker, "go", Path("/o/atlantis-check"), checker.source_dir)
    assert step.cwd == checker.source_dir and step.argv[-1] == "."
    copy = tmp_path / "src"
    copy.mkdir()
    (copy / "main.go").write_text("package main\n")
    moved = dataclasses.replace(checker, source=str(copy))
    first = layout.key(moved)
    assert first.startswith("v0.36.0-src.") and layout.key(moved) == first
    (copy / "main.go").write_text("package main\n\nfunc main() {}\n")
    assert layout.key(moved) != first


# --- cache layout ----------------------------------------------------------------------------------

def test_cache_layout_follows_xdg_cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    provider = tool("terraform-provider-aws")
    assert layout.tool_dir(provider) == tmp_path / "orchestrator" / "tools" / "terraform-provider-aws" / PROVIDER_VERSION
    assert layout.binary_path(provider) == layout.tool_dir(provider) / "bin" / "terraform-provider-aws"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert layout.cache_root() == Path.home() / ".cache" / "orchestrator" / "tools"


def test_nothing_is_installed_in_an_empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert all(tools.installed(t.name) is None for t in TOOLS)
    assert tools.real_provider_mirror() is None
    with pytest.raises(KeyError, match="unknown tool"):
        tools.installed("terraform")


# --- building ----------------------------------------------------------------------------------------

def test_a_build_is_recorded_and_not_repeated(fake_go):
    first = tools.build(tool("terraform-provider-aws"))
    assert first.status == "built", first.error
    binary = tools.installed("terraform-provider-aws")
    assert binary == first.binary and binary.parent.name == "bin"
    record = tools.record("terraform-provider-aws")
    assert record["version"] == PROVIDER_VERSION and record["release"] == "6.47.1"
    assert record["seconds"] >= 0 and record["peak_rss_bytes"] > 0 and record["cpu_seconds"] >= 0
    assert record["disk"]["tool_dir_bytes"] > 0 and record["disk"]["binary_bytes"] > 0
    assert "module_cache_growth_bytes" in record["disk"] and "build_cache_growth_bytes" in record["disk"]
    assert record["commands"][0]["argv"][1:] == ["install", "-v", "-trimpath", f"-ldflags={PROVIDER_LDFLAGS}",
                                                 f"github.com/hashicorp/terraform-provider-aws@{PROVIDER_VERSION}"]
    log = (binary.parent.parent / "build.log").read_text()
    assert "go: downloading example.com/dep" in log and "$ GOBIN=" in log
    install = fake_go("install")
    assert len(install) == 1 and Path(install[0]["GOBIN"]).name == "bin"
    assert Path(install[0]["GOBIN"]).parent.name.startswith(".build-")  # staged, then moved in

    again = tools.build(tool("terraform-provider-aws"))
    assert again.status == "cached" and len(fake_go("install")) == 1
    assert not list(binary.parent.parent.glob(".build-*"))


def test_a_module_tool_is_built_in_its_module_folder_with_its_environment(fake_go, monkeypatch):
    monkeypatch.setenv("FAKE_GO_PATH", "github.com/opentofu/opentofu/cmd/tofu")
    result = tools.build(tool("tofu"))
    assert result.status == "built", result.error
    (built,) = fake_go("build")
    assert built["cwd"].endswith("github.com/opentofu/opentofu@v1.12.6") and built["args"][-1] == "./cmd/tofu"
    assert built["CGO_ENABLED"] == "0"
    assert tools.installed("tofu") == layout.tool_dir(tool("tofu")) / "bin" / "tofu"


def test_a_failed_build_leaves_no_binary_and_says_why(fake_go, monkeypatch):
    monkeypatch.setenv("FAKE_GO_MODE", "fail")
    result = tools.build(tool("actionlint"))
    assert result.status == "failed" and "syntax error: unexpected }" in result.error
    directory = layout.tool_dir(tool("actionlint"))
    assert tools.installed("actionlint") is None and not (directory / "bin" / "actionlint").exists()
    assert not (directory / "build.json").exists() and not list(directory.glob(".build-*"))
    assert "syntax error" in tools.failure("actionlint")["error"]
    assert "syntax error" in (directory / "build.log").read_text()

    monkeypatch.setenv("FAKE_GO_MODE", "ok")
    assert tools.build(tool("actionlint")).status == "built"
    assert tools.failure("actionlint") is None and tools.installed("actionlint")


def test_a_build_killed_halfway_leaves_nothing_that_looks_built(fake_go, monkeypatch):
    directory = layout.tool_dir(tool("actionlint"))
    stale = directory / ".build-4242" / "bin" / "actionlint"  # what a builder killed with SIGKILL leaves
    stale.parent.mkdir(parents=True)
    stale.write_text("#!/bin/sh\n")
    stale.chmod(0o755)
    assert tools.installed("actionlint") is None
    monkeypatch.setenv("FAKE_GO_MODE", "die")  # go writes half a binary, then is killed
    result = tools.build(tool("actionlint"))
    assert result.status == "failed" and tools.installed("actionlint") is None
    assert not list(directory.glob(".build-*")) and not (directory / "bin").exists()


def _hand_built_provider(command: str, exit_status: int = 0) -> Path:
    """The provider as the same `go install` run by hand under /usr/bin/time -v -o build.time leaves it."""
    directory = layout.tool_dir(tool("terraform-provider-aws"))
    (directory / "bin").mkdir(parents=True)
    binary = directory / "bin" / "terraform-provider-aws"
    binary.write_text("#!/bin/sh\n#\tpath\tgithub.com/hashicorp/terraform-provider-aws\n"
                      f"#\tmod\tgithub.com/hashicorp/terraform-provider-aws\t{PROVIDER_VERSION}\th1:x\n"
                      "#\tbuild\t-trimpath=true\n")
    binary.chmod(0o755)
    (directory / "build.time").write_text(textwrap.dedent(f"""\
        \tCommand being timed: "{command}"
        \tUser time (seconds): 5000.25
        \tSystem time (seconds): 400.75
        \tElapsed (wall clock) time (h:mm:ss or m:ss): 1:02:03
        \tMaximum resident set size (kbytes): 3145728
        \tExit status: {exit_status}
        """))
    return binary


def test_a_binary_built_by_hand_with_the_same_command_is_adopted_not_rebuilt(fake_go):
    _hand_built_provider(f"env GOBIN=/x/bin go install -trimpath -ldflags={PROVIDER_LDFLAGS} "
                         f"github.com/hashicorp/terraform-provider-aws@{PROVIDER_VERSION}")
    provider = tool("terraform-provider-aws")
    result = tools.build(provider)
    assert result.status == "adopted", result.error
    assert fake_go("install") == []
    record = tools.record("terraform-provider-aws")
    assert record["seconds"] == 3723 and record["cpu_seconds"] == 5401 and record["peak_rss_bytes"] == 3 << 30
    assert record["measured_by"].startswith("adopted")
    assert tools.build(provider).status == "cached" and fake_go("install") == []


@pytest.mark.parametrize("command, exit_status", [
    (f"go install -trimpath -ldflags=-s -w github.com/hashicorp/terraform-provider-aws@{PROVIDER_VERSION}", 0),
    (f"go install -trimpath -ldflags={PROVIDER_LDFLAGS} github.com/hashicorp/terraform-provider-aws@{PROVIDER_VERSION}", 1),
])
def test_a_binary_built_otherwise_is_moved_aside_and_rebuilt(fake_go, command, exit_status):
    binary = _hand_built_provider(command, exit_status)
    assert tools.build(tool("terraform-provider-aws")).status == "built"
    assert len(fake_go("install")) == 1
    assert (binary.parent.parent / "terraform-provider-aws.mismatched").is_file()


def test_a_binary_without_trimpath_or_with_other_ldflags_in_its_build_info_is_rebuilt(fake_go):
    binary = layout.binary_path(tool("terraform-provider-aws"))
    binary.parent.mkdir(parents=True)
    binary.write_text('#!/bin/sh\n#\tpath\tgithub.com/hashicorp/terraform-provider-aws\n'
                      f'#\tmod\tgithub.com/hashicorp/terraform-provider-aws\t{PROVIDER_VERSION}\n#\tbuild\t-ldflags="-s -w"\n')
    binary.chmod(0o755)
    assert tools.build(tool("terraform-provider-aws")).status == "built"
    assert len(fake_go("install")) == 1 and "-trimpath=true" in binary.read_text()


def test_without_go_the_build_fails_with_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = tools.build(tool("actionlint"))
    assert result.status == "failed" and "go is not on PATH" in result.error and tools.installed("actionlint") is None


# --- the provider mirror -------------------------------------------------------------------------------

def test_the_built_provider_is_laid_out_as_a_filesystem_mirror(fake_go):
    assert tools.real_provider_mirror() is None
    tools.build(tool("terraform-provider-aws"))
    root, version = tools.real_provider_mirror()
    assert version == "6.47.1" and root == layout.cache_root() / "provider-mirror"
    executable = root / "registry.terraform.io" / "hashicorp" / "aws" / "6.47.1" / mirror.target_platform() / "terraform-provider-aws_v6.47.1"
    assert executable.resolve() == tools.installed("terraform-provider-aws").resolve()
    assert tools.real_provider_mirror() == (root, version)  # idempotent


def test_the_platform_is_terraforms_name_for_this_machine(monkeypatch):
    monkeypatch.setattr(mirror.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(mirror.sys, "platform", "linux")
    assert mirror.target_platform() == "linux_amd64"
    monkeypatch.setattr(mirror.platform, "machine", lambda: "arm64")
    monkeypatch.setattr(mirror.sys, "platform", "darwin")
    assert mirror.target_platform() == "darwin_arm64"


# --- measuring -------------------------------------------------------------------------------------------

def test_peak_memory_is_the_childs_own(tmp_path):
    lines: list[str] = []
    with open(tmp_path / "log", "w") as log:
        done = measure.run([sys.executable, "-c", "b = bytearray(80 << 20); b[::4096] = b'x' * len(b[::4096]); print('done')"],
                           cwd=None, env=dict(os.environ), log=log, on_line=lines.append, sample_seconds=0.05)
    assert done.returncode == 0 and lines == ["done"]
    assert done.peak_rss_bytes >= 80 << 20
    assert (tmp_path / "log").read_text() == "done\n"


def test_gnu_time_records_are_read():
    text = "\tUser time (seconds): 1.5\n\tSystem time (seconds): 0.5\n\tElapsed (wall clock) time (h:mm:ss or m:ss): 2:03.5\n" \
           "\tMaximum resident set size (kbytes): 1024\n\tExit status: 2\n"
    assert measure.parse_gnu_time(text) == {"seconds": 123.5, "cpu_seconds": 2.0, "peak_rss_bytes": 1 << 20, "exit_status": 2}
    assert measure.parse_gnu_time("Command terminated by signal 9") is None


# --- command line and layering -------------------------------------------------------------------------

def _parse(*argv: str):
    return build_parser().parse_args(list(argv))


def test_tools_list_on_an_empty_cache(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cli.run(_parse("tools", "list", "--json"), Console(stderr=True)) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [t["name"] for t in listed] == [t.name for t in TOOLS] and not any(t["built"] for t in listed)
    assert cli.run(_parse("tools", "list"), Console(stderr=True, width=200)) == 0
    assert "terraform-provider-aws" in capsys.readouterr().err


def test_tools_build_usage_errors_exit_2(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cli.run(_parse("tools", "build"), Console(stderr=True)) == 2
    assert cli.run(_parse("tools", "build", "terraform"), Console(stderr=True)) == 2
    assert cli.run(_parse("tools", "build", "tofu", "--all"), Console(stderr=True)) == 2


def test_tools_build_through_the_command_line(fake_go, capsys):
    assert cli.run(_parse("tools", "build", "actionlint", "--json"), Console(stderr=True)) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert result["status"] == "built" and result["record"]["release"] == "1.7.12"
    assert cli.run(_parse("tools", "build", "actionlint"), Console(stderr=True)) == 0
    assert "actionlint: cached" in capsys.readouterr().err


def test_the_package_imports_nothing_else_of_the_orchestrator():
    folder = REPOSITORY / "orchestrator" / "tools"
    for path in folder.glob("*.py"):
        imported = re.findall(r"^\s*(?:from|import) (orchestrator[\w.]*)", path.read_text(), re.M)
        shared = ("orchestrator.config.errors", "orchestrator.config.exit_codes")  # leaves: what every command raises and returns
        assert all(name.startswith("orchestrator.tools") or name in shared for name in imported), path
