"""The real tools the project builds from the Go module proxy, pinned and declared once, as data.

Each tool is built by one of three methods (``Tool.method``):

- ``install``: ``go install -trimpath -ldflags=... PACKAGE@VERSION`` (the plain case);
- ``module``: the module's go.mod holds ``replace`` directives, which ``go install PACKAGE@VERSION``
  refuses, so the module is downloaded (``go mod download``) and built inside its own directory with
  ``go build``, where its replacements apply, exactly as its release process builds it;
- ``source``: a Go program of this repository (``source`` names its folder; its go.mod and go.sum pin
  what it uses), built with ``go build``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]

PROVIDER = "terraform-provider-aws"


@dataclass(frozen=True)
class Tool:
    name: str
    module: str  # Go module path, as the module proxy serves it
    package: str  # the main package to build (full import path)
    version: str  # module version on the proxy (a tag or a pseudo-version)
    release: str  # the upstream release this build is (what it reports as its version)
    ldflags: tuple[str, ...] = ()
    method: str = "install"  # install | module | source
    source: str = ""  # method "source": folder of this repository, relative to its root
    env: tuple[tuple[str, str], ...] = ()  # extra environment of the build
    note: str = ""
    binary: str = field(default="")

    def __post_init__(self):
        if self.method not in ("install", "module", "source"):
            raise ValueError(f"{self.name}: unknown build method {self.method!r}")
        if not self.binary:
            object.__setattr__(self, "binary", self.package.rstrip("/").rsplit("/", 1)[-1])

    @property
    def source_dir(self) -> Path:
        return REPOSITORY / self.source


TOOLS: tuple[Tool, ...] = (
    Tool(
        name=PROVIDER,
        module="github.com/hashicorp/terraform-provider-aws",
        package="github.com/hashicorp/terraform-provider-aws",
        # The module path has no /v6 suffix, so Go refuses the v6.x.y tags; the proxy serves this
        # pseudo-version only: commit 5f2286d6d836 (2026-06-02) on main after release 6.47.1.
        version="v1.60.1-0.20260602190131-5f2286d6d836",
        release="6.47.1",
        ldflags=("-s", "-w", "-X", "github.com/hashicorp/terraform-provider-aws/version.ProviderVersion=6.47.1"),
        note="commit 5f2286d6d836 (2026-06-02) on main after v6.47.1: version/VERSION says 6.47.1, "
             "CHANGELOG.md has 6.48.0 (Unreleased) on top",
    ),
    Tool(
        name="tofu",
        module="github.com/opentofu/opentofu",
        package="github.com/opentofu/opentofu/cmd/tofu",
        version="v1.12.6",
        release="1.12.6",
        ldflags=("-s", "-w", "-X", "github.com/opentofu/opentofu/version.dev=no"),
        method="module",  # go.mod: replace github.com/hashicorp/hcl/v2 => github.com/opentofu/hcl/v2
        env=(("CGO_ENABLED", "0"),),
        note="ldflags and CGO_ENABLED=0 as in its .goreleaser.yaml",
    ),
    Tool(
        name="terragrunt",
        module="github.com/gruntwork-io/terragrunt",
        package="github.com/gruntwork-io/terragrunt",
        version="v1.0.0",
        release="1.0.0",
        ldflags=("-s", "-w", "-X", "github.com/gruntwork-io/go-commons/version.Version=v1.0.0"),
        method="module",  # go.mod: replace block (atomicgo.dev, hashicorp/terraform v0.15.3, vault, tflint, ...)
        env=(("CGO_ENABLED", "0"),),
        note="ldflags and CGO_ENABLED=0 as in its Makefile",
    ),
    Tool(
        name="actionlint",
        module="github.com/rhysd/actionlint",
        package="github.com/rhysd/actionlint/cmd/actionlint",
        version="v1.7.12",
        release="1.7.12",
        ldflags=("-s", "-w", "-X", "github.com/rhysd/actionlint.version=1.7.12"),
        note="ldflags as in its .goreleaser.yaml",
    ),
    Tool(
        name="atlantis-check",
        module="github.com/runatlantis/atlantis",
        package="github.com/tf-orchestrator/atlantis-check",
        version="v0.36.0",
        release="atlantis 0.36.0",
        ldflags=("-s", "-w"),
        method="source",
        source="tools/atlantis-check",
        note="validates atlantis.yaml with Atlantis's own server/core/config parser (tools/atlantis-check)",
    ),
    Tool(
        name="atlantis",
        module="github.com/runatlantis/atlantis",
        package="github.com/runatlantis/atlantis",
        version="v0.36.0",
        release="0.36.0",
        ldflags=("-s", "-w", "-X", "main.version=0.36.0", "-X", "main.commit=7f1ed4a0d50429308ba3f5ba9b98f058c1181aad"),
        # The proxy refuses the module's version list, which `go install` reads for deprecations.
        method="module",
        env=(("CGO_ENABLED", "0"),),
        note="the Atlantis server of the end-to-end harness; ldflags as in its .goreleaser.yml",
    ),
    Tool(
        name="gitea",
        module="code.gitea.io/gitea",
        package="gitea.dev",  # the module at code.gitea.io/gitea declares itself gitea.dev
        version="v1.27.3",
        release="1.27.3",
        # Atlantis's Gitea client parses /api/v1/version and refuses "development": the version is required.
        ldflags=("-s", "-w", "-X", "main.Version=1.27.3"),
        method="module",  # go.mod: replace directives (yaml/v4, Azure SDK, go-mssqldb)
        env=(("CGO_ENABLED", "0"),),
        binary="gitea",
        note="the VCS of the Atlantis end-to-end harness; sqlite is pure Go, no build tags; the API needs no "
             "frontend assets",
    ),
)

_BY_NAME = {tool.name: tool for tool in TOOLS}


def tool(name: str) -> Tool:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown tool {name!r}; known: {', '.join(_BY_NAME)}") from None
