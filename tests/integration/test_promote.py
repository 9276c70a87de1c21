"""promote end to end: the product, its dev rehearsal applied offline (--provider local), in a git repo."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import REPO, link_history, run_cli, set_app_environment

pytestmark = [pytest.mark.terraform]

LOCAL = ("--provider", "local")


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture(scope="module")
def product(tmp_path_factory) -> Path:
    """The product with dev's rehearsal applied (network, alb, ecs); dev runs a flag staging lacks."""
    root = tmp_path_factory.mktemp("promote") / "product"
    root.mkdir()
    for name in ("environments", "terraform_modules", "stacks.yaml", "promotion.yaml"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*", "PROMOTIONS.md"))
        else:
            shutil.copy2(source, root / name)
    dev = root / "environments" / "dev.yaml"
    text = dev.read_text()
    assert "    LOG_LEVEL: debug\n" in text
    dev.write_text(text.replace("    LOG_LEVEL: debug\n", '    LOG_LEVEL: debug\n    FEATURE_SEARCH: "on"\n'))
    (root / ".gitignore").write_text(".orchestrator/\n")
    link_history(root)  # on top of the project's history: staging and prod pin their modules to a commit of it
    git(root, "config", "user.name", "Release Manager")
    git(root, "config", "user.email", "rm@example.com")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "product")
    applied = run_cli(root, "apply", "dev", *LOCAL, "--auto-approve", "--stack", "network", "--stack", "alb", "--stack", "ecs")
    assert applied.code == 0, applied.stderr
    return root


@pytest.fixture
def repo(product: Path):
    """The product with its environment files as committed, and no promotion history yet."""
    files = {path: path.read_text() for path in (product / "environments").glob("*.yaml")}
    yield product
    for path, text in files.items():
        path.write_text(text)
    (product / "environments" / "PROMOTIONS.md").unlink(missing_ok=True)


def staging(root: Path) -> str:
    return (root / "environments" / "staging.yaml").read_text()


def test_promote_moves_what_source_runs_keeping_comments_and_records_it(repo):
    before = staging(repo)
    dev = repo / "environments" / "dev.yaml"
    dev.write_text(dev.read_text().replace('image_tag: "2026.11.3"', 'image_tag: "2099.1.1"'))  # YAML says; state runs 2026.11.3
    head = git(repo, "rev-parse", "HEAD")[:12]

    done = run_cli(repo, "promote", "dev", "staging", *LOCAL, "--yes")
    assert done.code == 0, done.stderr
    after = staging(repo)
    assert '-  image_tag: "2026.11.2"' in done.stdout and '+  image_tag: "2026.11.3"' in done.stdout
    removed = [line for line in before.splitlines() if line not in after.splitlines()]
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    assert removed == ['  image_tag: "2026.11.2"']
    assert added == ['  image_tag: "2026.11.3"', '    FEATURE_SEARCH: "on"']  # kept: APP_ENV, LOG_LEVEL
    assert after.startswith("# Staging: production-shaped")
    assert "    APP_ENV: staging\n    LOG_LEVEL: info\n" in after
    assert run_cli(repo, "validate", "staging").code == 0

    history = (repo / "environments" / "PROMOTIONS.md").read_text()
    assert "dev -> staging" in history
    assert "who: Release Manager <rm@example.com>" in history
    assert f"at commit {head} (with uncommitted changes)" in history  # dev.yaml was edited above
    assert "offline rehearsal" in history
    assert "running 111111111111.dkr.ecr.eu-west-1.amazonaws.com/shopfront/web:2026.11.3" in history
    assert '`app.image_tag`: `"2026.11.2"` -> `"2026.11.3"`' in history

    again = run_cli(repo, "promote", "dev", "staging", *LOCAL, "--yes")
    assert again.code == 0 and "nothing to promote" in again.stderr
    assert (repo / "environments" / "PROMOTIONS.md").read_text() == history


def test_dry_run_and_no_terminal_write_nothing(repo):
    before = staging(repo)
    dry = run_cli(repo, "promote", "dev", "staging", *LOCAL, "--dry-run", "--json")
    assert dry.code == 0, dry.stderr
    document = dry.json
    assert document["written"] is False and document["dry_run"] is True
    # dev applied the same modules at another commit than staging pins: the pin does not move
    assert {c["key"] for c in document["changes"]} == {"app.image_tag", "app.environment"}
    assert '+  image_tag: "2026.11.3"' in document["diff"]
    asked = run_cli(repo, "promote", "dev", "staging", *LOCAL)  # stdin is not a terminal
    assert asked.code == 2 and "without --yes" in asked.stderr
    assert staging(repo) == before
    assert not (repo / "environments" / "PROMOTIONS.md").exists()


@pytest.mark.parametrize(
    ("source", "target", "code", "message"),
    [
        ("staging", "prod", 1, "staging was never applied"),
        ("dev", "prod", 2, "dev -> prod skips a step of the chain dev -> staging -> prod; dev promotes to staging only"),
        ("staging", "dev", 2, "goes backwards"),
        ("local", "dev", 2, "'local' is not in the promotion chain"),
    ],
)
def test_refusals(repo, source, target, code, message):
    before = {path: path.read_text() for path in (repo / "environments").glob("*.yaml")}
    done = run_cli(repo, "promote", source, target, *LOCAL, "--yes", env={"COLUMNS": "400"})
    assert done.code == code
    assert message in done.stderr
    assert {path: path.read_text() for path in before} == before


def test_a_failed_last_apply_is_refused(repo):
    record = repo / ".orchestrator" / "dev.local" / "last-run.json"
    saved = record.read_text()
    assert json.loads(saved)["stacks"]["ecs"]["status"] == "ok"  # written by the apply
    try:
        stacks = json.loads(saved)["stacks"]
        stacks["ecs"].update(status="failed", error="boom")
        record.write_text(json.dumps({"stacks": stacks}))
        done = run_cli(repo, "promote", "dev", "staging", *LOCAL, "--yes", env={"COLUMNS": "400"})
        assert done.code == 1
        assert "dev is not cleanly deployed: the last run of ecs (apply failed)" in done.stderr
    finally:
        record.write_text(saved)


def test_every_apply_records_each_stacks_outcome(project):
    set_app_environment(project, "alpha", {"FAIL": "vpc_link"})
    assert run_cli(project, "apply", "alpha", "--auto-approve").code == 1
    stacks = json.loads((project / ".orchestrator" / "alpha" / "last-run.json").read_text())["stacks"]
    assert {name: entry["status"] for name, entry in stacks.items()} == {
        "network": "ok", "alb": "ok", "ecs": "ok", "vpc_link": "failed", "api_gateway": "skipped", "keepalive": "skipped"}
    assert all(entry["command"] == "apply" for entry in stacks.values())


DIGEST = "sha256:" + "0123456789abcdef" * 4


def test_promote_moves_the_digest_source_runs(repo):
    """dev pinned by digest: the task definition runs repo@sha256:..., and promote moves that digest."""
    dev = repo / "environments" / "dev.yaml"
    dev.write_text(dev.read_text().replace('image_tag: "2026.11.3"', f'image_tag: "{DIGEST}"'))
    try:
        applied = run_cli(repo, "apply", "dev", *LOCAL, "--auto-approve", "--stack", "ecs", "--json")
        assert applied.code == 0, applied.stderr
        (ecs,) = [s for s in applied.json["stacks"] if s["name"] == "ecs"]
        assert ecs["outputs"]["container_image"] == f"111111111111.dkr.ecr.eu-west-1.amazonaws.com/shopfront/web@{DIGEST}"

        done = run_cli(repo, "promote", "dev", "staging", *LOCAL, "--yes")
        assert done.code == 0, done.stderr
        assert f'+  image_tag: "{DIGEST}"' in done.stdout
        assert f'  image_tag: "{DIGEST}"\n' in staging(repo)
        rendered = run_cli(repo, "render", "staging", "--stack", "ecs")
        assert rendered.code == 0, rendered.stderr
        assert f'"222222222222.dkr.ecr.eu-west-1.amazonaws.com/shopfront/web@{DIGEST}"' in rendered.stdout
    finally:
        dev.write_text(dev.read_text().replace(f'image_tag: "{DIGEST}"', 'image_tag: "2026.11.3"'))
        assert run_cli(repo, "apply", "dev", *LOCAL, "--auto-approve", "--stack", "ecs").code == 0


def test_promote_moves_a_pinned_targets_module_pin_to_what_source_applied(repo):
    """Last in this file: it adds a commit to the shared product."""
    applied_at = git(repo, "rev-parse", "HEAD")  # dev's modules were applied from this commit
    readme = repo / "terraform_modules" / "ecs" / "README.md"
    readme.write_text(readme.read_text() + "\nA later edit of the module's docs.\n")
    git(repo, "commit", "-q", "-am", "module docs")
    later = git(repo, "rev-parse", "HEAD")
    path = repo / "environments" / "staging.yaml"
    path.write_text(re.sub(r'(?m)^  ref: "[0-9a-f]{40}"$', f"  ref: {later}", path.read_text()))  # a commit dev never ran
    refused = run_cli(repo, "promote", "dev", "staging", *LOCAL, "--dry-run", "--plan")
    assert refused.code == 2 and "--plan: plans TARGET as promote writes it" in refused.stderr, refused.stderr
    done = run_cli(repo, "promote", "dev", "staging", *LOCAL, "--yes", "--json", "--plan", timeout=900)
    assert done.code == 0, done.stderr[-3000:]
    # the plan the promotion causes, per stack (staging was never applied here: everything is created)
    plan = json.loads(done.stdout)["plan"]
    assert [line.split("`")[1] for line in plan] == ["network", "alb", "ecs", "vpc_link", "api_gateway", "queue", "keepalive"], plan
    assert all(" to add, 0 to change, 0 to destroy" in line for line in plan), plan
    changes = {c["key"]: c for c in json.loads(done.stdout)["changes"]}
    assert changes["modules.ref"]["before"] == later and changes["modules.ref"]["after"] == applied_at
    assert any(line.startswith("ecs: terraform_modules/ecs/README.md") for line in json.loads(done.stdout)["module_changes"])
    assert f'ref: "{applied_at}"' in staging(repo)
    history = (repo / "environments" / "PROMOTIONS.md").read_text()
    assert "the modules' changes this moves to TARGET" in history and "terraform_modules/ecs/README.md" in history
    assert "- the plan this causes in staging (`plan staging --provider local`):\n  - `network`: " in history


def test_promote_one_service_moves_its_release_alone(repo):
    path = repo / "environments" / "staging.yaml"
    path.write_text(staging(repo).replace('    image_tag: "1.4.0"', '    image_tag: "1.3.2"'))  # staging's worker is behind
    before = staging(repo)

    done = run_cli(repo, "promote", "dev", "staging", *LOCAL, "--service", "worker", "--yes", "--json")
    assert done.code == 0, done.stderr
    assert [c["key"] for c in done.json["changes"]] == ["services.worker.image_tag"]  # not the app, not the pin
    after = staging(repo)
    assert [line for line in before.splitlines() if line not in after.splitlines()] == ['    image_tag: "1.3.2"']
    assert [line for line in after.splitlines() if line not in before.splitlines()] == ['    image_tag: "1.4.0"']
    assert "      QUEUE_NAME: shopfront-staging-jobs\n" in after  # a per-environment setting (promotion.yaml's keep)
    history = (repo / "environments" / "PROMOTIONS.md").read_text()
    assert '`services.worker.image_tag`: `"1.3.2"` -> `"1.4.0"`' in history
    assert "running 111111111111.dkr.ecr.eu-west-1.amazonaws.com/shopfront/worker:1.4.0" in history


def test_promote_moves_the_app_and_every_service_both_run(repo):
    path = repo / "environments" / "staging.yaml"
    path.write_text(staging(repo).replace('    image_tag: "1.4.0"', '    image_tag: "1.3.2"'))
    done = run_cli(repo, "promote", "dev", "staging", *LOCAL, "--dry-run", "--json")
    assert done.code == 0, done.stderr
    assert [c["key"] for c in done.json["changes"]] == ["app.image_tag", "app.environment", "services.worker.image_tag"]


def test_promote_of_a_service_the_target_lacks_is_refused(repo):
    before = staging(repo)
    done = run_cli(repo, "promote", "dev", "staging", *LOCAL, "--service", "billing", "--yes")
    assert done.code == 2
    assert "staging has no service 'billing' (it has: worker)" in done.stderr
    assert staging(repo) == before


def test_a_team_stacks_declared_key_moves_from_what_source_applied(repo):
    applied = run_cli(repo, "apply", "dev", *LOCAL, "--auto-approve", "--stack", "queue")
    assert applied.code == 0, applied.stderr[-3000:]
    path = repo / "environments" / "staging.yaml"
    path.write_text(staging(repo).replace("  visibility_timeout_seconds: 120\n", "  visibility_timeout_seconds: 45\n"))
    dev = repo / "environments" / "dev.yaml"
    dev_text = dev.read_text()
    dev.write_text(dev_text.replace("  visibility_timeout_seconds: 120\n", "  visibility_timeout_seconds: 999\n"))  # YAML says; state runs 120
    try:
        done = run_cli(repo, "promote", "dev", "staging", *LOCAL, "--dry-run", "--json")
        assert done.code == 0, done.stderr
        [change] = [c for c in done.json["changes"] if c["key"].startswith("queue.")]
        assert change == {"key": "queue.visibility_timeout_seconds", "before": 45, "after": 120}
        assert "+  visibility_timeout_seconds: 120" in done.json["diff"]
        alone = run_cli(repo, "promote", "dev", "staging", *LOCAL, "--service", "worker", "--dry-run", "--json")
        assert not [c for c in alone.json["changes"] if c["key"].startswith("queue.")]  # one service's release only
    finally:
        dev.write_text(dev_text)


def test_only_a_team_stacks_key_with_an_output_is_promotable(repo):
    policy = repo / "promotion.yaml"
    original = policy.read_text()
    try:
        for key, spec, message in (
            ("network.vpc_cidr", "{output: vpc_id}", "'network' is not one (the built-in stacks promote only the release"),
            ("queue.no_such_key", "{output: queue_url}", "'no_such_key' is not a variable of terraform_modules/queue"),
            ("queue.max_receive_count", "{output: max_receive_count}", "declares no output 'max_receive_count'"),
        ):
            policy.write_text(original.replace("promotable:\n", f"promotable:\n  {key}: {spec}\n"))
            done = run_cli(repo, "promote", "dev", "staging", *LOCAL, "--dry-run")
            assert done.code == 2 and f"promotable.{key}" in done.stderr and message in done.stderr, done.stderr
    finally:
        policy.write_text(original)
