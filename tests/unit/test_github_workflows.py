"""The committed .github/workflows/ are what `ci-config github` writes, GitHub's own schema and actionlint
accept them, and they do what the operator's guide says: plans per environment with one comment each,
applies along the DAG behind GitHub Environments with OIDC roles per account, promotion and drift."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import REPO, copy_project, run_cli

from orchestrator import tools
from orchestrator.config.environment import EnvironmentLoader
from orchestrator.config.graph import load_graph
from orchestrator.config.project import Project
from orchestrator.release import github

WORKFLOWS = REPO / github.WORKFLOWS_DIR
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")
ACTIONLINT = tools.installed("actionlint")
CLOUD_ENVS = ["dev", "prod", "staging"]


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def on(workflow: dict) -> dict:
    return workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads a bare `on` as true


def schema_check(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
                          capture_output=True, text=True, timeout=120)


def test_committed_workflows_are_in_sync_with_the_project():
    files = github.render(Project(REPO))
    assert sorted(files) == sorted(p.name for p in WORKFLOWS.glob(f"{github.PREFIX}*.yml"))
    for name, text in files.items():
        assert (WORKFLOWS / name).read_text() == text, (
            f"{name} drifted from stacks.yaml/environments/promotion.yaml: regenerate with `python -m orchestrator ci-config github`")


@pytest.mark.terraform
def test_ci_config_writes_the_files_and_removes_those_of_a_removed_environment(tmp_path):
    root = tmp_path / "project"
    copy_project(root)
    shutil.copy(root / "environments" / "staging.yaml", root / "environments" / "qa.yaml")
    done = run_cli(root, "ci-config", "github", "--root", str(root))
    assert done.code == 0, done.stderr
    assert ".github/workflows/orchestrator-apply-qa.yml" in done.stdout.splitlines()
    assert "plan-qa" in yaml.safe_load((root / github.WORKFLOWS_DIR / github.PLAN_WORKFLOW).read_text())["jobs"]
    (root / "environments" / "qa.yaml").unlink()
    (root / github.WORKFLOWS_DIR / "hand-written.yml").write_text("name: mine\n")
    assert run_cli(root, "ci-config", "github", "--root", str(root)).code == 0
    left = sorted(p.name for p in (root / github.WORKFLOWS_DIR).iterdir())
    assert "orchestrator-apply-qa.yml" not in left and "hand-written.yml" in left  # only generated files go


def test_githubs_workflow_schema_accepts_every_generated_workflow():
    done = schema_check(*sorted(WORKFLOWS.glob("*.yml")))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok -- validation done" in done.stdout


def test_githubs_workflow_schema_refuses_a_broken_workflow(tmp_path):
    broken = load(github.apply_file("prod"))
    del broken["jobs"]["network"]["runs-on"]
    broken["jobs"]["alb"]["permissions"]["id-token"] = "sometimes"
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(broken))
    done = schema_check(path)
    assert done.returncode == 1 and "jobs.network" in done.stdout and "jobs.alb.permissions" in done.stdout, done.stdout


@pytest.mark.skipif(ACTIONLINT is None,
                    reason="actionlint is not built (the source may have changed since): python -m orchestrator tools build actionlint")
def test_actionlint_accepts_the_workflows_and_refuses_a_broken_one(tmp_path):
    done = subprocess.run([str(ACTIONLINT), "-no-color", *map(str, sorted(WORKFLOWS.glob("*.yml")))],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    broken = (WORKFLOWS / github.apply_file("dev")).read_text().replace("needs.reviewed.outputs.run-id", "needs.nobody.outputs.run-id", 1)
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    path = tmp_path / ".github" / "workflows" / "broken.yml"
    path.write_text(broken)
    refused = subprocess.run([str(ACTIONLINT), "-no-color", str(path)], capture_output=True, text=True, timeout=300)
    assert refused.returncode == 1 and "nobody" in refused.stdout, refused.stdout + refused.stderr


def test_every_action_is_pinned_by_commit_sha_with_its_release_in_a_comment():
    uses = [line.strip() for path in WORKFLOWS.glob("*.yml") for line in path.read_text().splitlines() if "uses:" in line]
    assert uses
    for line in uses:
        assert re.fullmatch(r"(- )?uses: [\w.-]+/[\w.-]+@[0-9a-f]{40}  # v\d+\.\d+\.\d+", line), line
    assert {line.split("uses: ")[1].split("@")[0] for line in uses} == {repo for repo, _, _ in github.ACTIONS.values()}


def _all_jobs():
    for path in sorted(WORKFLOWS.glob(f"{github.PREFIX}*.yml")):
        workflow = yaml.safe_load(path.read_text())
        for name, job in workflow["jobs"].items():
            yield path.name, workflow, name, job


def test_least_privilege_and_oidc_only():
    project = Project(REPO)
    loader = EnvironmentLoader(project)
    for file, workflow, name, job in _all_jobs():
        assert workflow["permissions"] == {}, file  # nothing by default; each job asks for what it needs
        assert workflow["env"]["TERRAFORM_BIN"] == "bundled"
        permissions = job["permissions"]
        assert set(permissions.values()) <= {"read", "write"} and "write-all" not in str(permissions)
        credentials = [s for s in job["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")]
        assert ("id-token" in permissions) == bool(credentials), (file, name)
        for step in credentials:
            assert set(step["with"]) == {"role-to-assume", "role-session-name", "aws-region", "allowed-account-ids"}, "no long-lived keys"
        text = json.dumps(job)
        assert "AWS_ACCESS_KEY_ID" not in text and "aws-access-key-id" not in text and "AWS_SECRET" not in text
        env = job.get("environment") or name.split("-", 1)[-1]
        if credentials and env in CLOUD_ENVS:
            config = loader.load(env).config
            role = credentials[0]["with"]["role-to-assume"]
            kind = "apply" if file.startswith(f"{github.PREFIX}apply-") else "plan"
            assert role == f"arn:aws:iam::{config.allowed_account_ids[0]}:role/shopfront-github-{kind}", (file, name)
            assert credentials[0]["with"]["allowed-account-ids"] == ",".join(config.allowed_account_ids)
            assert credentials[0]["with"]["aws-region"] == config.region


def test_pull_request_plans_each_environment_with_its_own_account_and_concurrency_group():
    workflow = load(github.PLAN_WORKFLOW)
    assert on(workflow) == {"pull_request": {"branches": ["main"]}}
    assert sorted(workflow["jobs"]) == [f"plan-{env}" for env in CLOUD_ENVS]  # `local` touches no cloud
    groups = set()
    for env in CLOUD_ENVS:
        job = workflow["jobs"][f"plan-{env}"]
        assert job["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
        assert job["concurrency"]["cancel-in-progress"] is True
        groups.add(job["concurrency"]["group"])
        runs = "\n".join(step.get("run", "") for step in job["steps"])
        assert f'--env "$PLAN_ENV"' in runs and "pr-plan --base" in runs
        assert {s.get("env", {}).get("PLAN_ENV") for s in job["steps"] if "PLAN_ENV" in s.get("env", {})} == {env}
        upload = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@"))
        assert upload["with"]["name"] == f"plans-{env}"
        assert "plan.tfplan.meta.json" in runs  # the record travels with the plan: the apply checks it
    assert len(groups) == 3 and all("github.event.pull_request.number" in g for g in groups)


def test_apply_follows_the_dag_behind_the_github_environment():
    project = Project(REPO)
    graph = load_graph(project)
    loader = EnvironmentLoader(project)
    for env in CLOUD_ENVS:
        workflow = load(github.apply_file(env))
        assert on(workflow)["push"]["branches"] == ["main"]
        assert f"environments/{env}.yaml" in on(workflow)["push"]["paths"]
        assert not any(f"environments/{other}.yaml" in on(workflow)["push"]["paths"] for other in CLOUD_ENVS if other != env)
        assert workflow["concurrency"] == {"group": f"orchestrator-apply-{env}", "cancel-in-progress": False}
        jobs = workflow["jobs"]
        runs = graph.without(loader.load(env).absent_stacks)  # prod runs no queue (optional)
        assert set(jobs) == {"reviewed", *runs.stacks} and ("queue" in jobs) is (env != "prod")
        for name, stack in runs.stacks.items():
            job = jobs[name]
            assert set(job["needs"]) == {"reviewed", *stack.upstreams}
            assert job["environment"] == env  # its protection rules: reviewers where require_approval
            step = next(s for s in job["steps"] if s.get("name") == f"apply {env}/{name}")
            assert step["env"]["STACK"] == name and step["env"]["APPLY_ENV"] == env
            assert '--plan-file "$reviewed"' in step["run"]
            assert any(s.get("run", "").find("GITHUB_STEP_SUMMARY") >= 0 and s.get("if") == "always()" for s in job["steps"])
        # independent stacks run in parallel: ecs and vpc_link need neither the other
        assert "vpc_link" not in jobs["ecs"]["needs"] and "ecs" not in jobs["vpc_link"]["needs"]
        approval = loader.load(env).config.require_approval
        assert ("approval required" in workflow["name"]) == approval
    assert loader.load("prod").config.require_approval


def test_promotion_offers_the_steps_of_the_chain_and_opens_a_pull_request():
    workflow = load(github.PROMOTE_WORKFLOW)
    inputs = on(workflow)["workflow_dispatch"]["inputs"]["promotion"]
    assert inputs["type"] == "choice" and inputs["options"] == ["dev -> staging", "staging -> prod"]
    steps = workflow["jobs"]["promote"]["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    assert 'python -m orchestrator promote "$SOURCE" "$TARGET" --yes' in runs
    assert "gh pr create" in runs and 'git add -- "$TARGET_FILE" "$HISTORY_FILE"' in runs
    promote_step = next(s for s in steps if s.get("id") == "promote")
    assert promote_step["env"]["HISTORY_FILE"] == "environments/PROMOTIONS.md"
    assert "${{ inputs.promotion }}" not in runs  # inputs reach scripts through the environment, never spliced in
    pick = next(s for s in steps if s.get("id") == "step")["run"]
    for source, target, account in (("dev", "staging", "111111111111"), ("staging", "prod", "222222222222")):
        out = subprocess.run(["bash", "-c", pick.replace('>> "$GITHUB_OUTPUT"', "")], env={"PROMOTION": f"{source} -> {target}"},
                             capture_output=True, text=True, check=True).stdout
        assert f"source={source}\ntarget={target}\ntarget-file=environments/{target}.yaml\n" in out
        assert f"role=arn:aws:iam::{account}:role/shopfront-github-plan" in out  # SOURCE's state is read
    refused = subprocess.run(["bash", "-c", pick.replace('>> "$GITHUB_OUTPUT"', "")], env={"PROMOTION": "dev -> prod"},
                             capture_output=True, text=True)
    assert refused.returncode == 1


def test_drift_runs_the_documented_contract_per_environment_on_a_schedule():
    workflow = load(github.DRIFT_WORKFLOW)
    assert on(workflow)["schedule"] == [{"cron": github.DRIFT_CRON}]
    assert sorted(workflow["jobs"]) == [f"drift-{env}" for env in CLOUD_ENVS]
    for env in CLOUD_ENVS:
        job = workflow["jobs"][f"drift-{env}"]
        assert job["permissions"] == {"contents": "read", "id-token": "write", "issues": "write"}
        step = next(s for s in job["steps"] if s.get("id") == "drift")
        assert step["env"]["DRIFT_ENV"] == env
        assert 'python -m orchestrator drift "$DRIFT_ENV" --json --report-file drift.md' in step["run"]


def _scripts():
    for file, _, name, job in _all_jobs():
        for step in job["steps"]:
            if "run" in step:
                yield f"{file}:{name}:{step.get('name')}", step["run"]


def test_every_script_is_valid_bash():
    for where, script in _scripts():
        plain = re.sub(r"\$\{\{[^}]*\}\}", "x", script)
        done = subprocess.run(["bash", "-n", "-c", plain], capture_output=True, text=True)
        assert done.returncode == 0, f"{where}: {done.stderr}"


# --- the comment script, run against a stand-in for `gh api` that keeps comments in a file -------------

FAKE_GH = r'''#!/usr/bin/env python3
import json, os, subprocess, sys
store = os.environ["FAKE_GH_STORE"]
data = json.load(open(store))
args = sys.argv[1:]
assert args[0] == "api", args
method, jq, body, url = "GET", None, None, None
i = 1
while i < len(args):
    a = args[i]
    if a == "-X": method = args[i + 1]; i += 2; continue
    if a == "--jq": jq = args[i + 1]; i += 2; continue
    if a == "-F": body = open(args[i + 1].split("=@", 1)[1]).read(); i += 2; continue
    if a in ("--paginate", "--silent"): i += 1; continue
    url = a; i += 1
parts = url.split("/")
if method == "GET":
    out = json.dumps(data["comments"])
    print(subprocess.run(["jq", "-r", jq], input=out, capture_output=True, text=True, check=True).stdout, end="")
elif method == "POST":
    data["next"] += 1
    data["comments"].append({"id": data["next"], "body": body})
elif method == "PATCH":
    next(c for c in data["comments"] if c["id"] == int(parts[-1]))["body"] = body
elif method == "DELETE":
    data["comments"] = [c for c in data["comments"] if c["id"] != int(parts[-1])]
data.setdefault("calls", []).append(method)
json.dump(data, open(store, "w"))
'''


def _comment_script() -> str:
    job = load(github.PLAN_WORKFLOW)["jobs"]["plan-dev"]
    return next(s for s in job["steps"] if s.get("name") == "Post or update the plan comment")["run"]


def _post(work: Path, parts: list[str], stacks: int = 1) -> dict:
    comment = work / "comment"
    shutil.rmtree(comment, ignore_errors=True)
    comment.mkdir()
    for n, text in enumerate(parts, 1):
        (comment / ("plan.md" if n == 1 else f"plan.md.{n}")).write_text(text)
    (work / "pr-plan.json").write_text(json.dumps({"stacks": [{}] * stacks, "errors": [], "removed": [], "may_be_affected": []}))
    env = {**os.environ, "PATH": f"{work / 'bin'}:{os.environ['PATH']}", "FAKE_GH_STORE": str(work / "store.json"),
           "PLAN_ENV": "dev", "PR_NUMBER": "7", "GITHUB_REPOSITORY": "acme/shop"}
    done = subprocess.run(["bash", "-e", "-c", _comment_script()], cwd=work, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((work / "store.json").read_text())


def stand_in(work: Path, name: str, script: str) -> Path:
    """``work`` with ``bin/NAME`` a stand-in; the scripts under test need jq (GitHub's runners have it)."""
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed (GitHub's runners have it; the stand-in for gh --jq runs it)")
    (work / "bin").mkdir(exist_ok=True)
    fake = work / "bin" / name
    fake.write_text(script)
    fake.chmod(0o755)
    return work


@pytest.fixture
def fake_gh(tmp_path: Path) -> Path:
    return stand_in(tmp_path, "gh", FAKE_GH)


def test_the_plan_comment_is_updated_on_each_push_never_duplicated(fake_gh):
    tmp_path = fake_gh
    someone = {"id": 1, "body": "LGTM"}
    other_env = {"id": 2, "body": "<!-- orchestrator-plan:prod:1 -->\nprod's plan"}
    (tmp_path / "store.json").write_text(json.dumps({"comments": [someone, other_env], "next": 10}))

    first = _post(tmp_path, ["plan A"])
    assert [c["body"] for c in first["comments"]] == ["LGTM", other_env["body"], "<!-- orchestrator-plan:dev:1 -->\nplan A\n"]

    second = _post(tmp_path, ["**Part 1 of 2** B", "**Part 2 of 2** C"])  # a longer plan: two parts
    dev = [c for c in second["comments"] if c["body"].startswith("<!-- orchestrator-plan:dev:")]
    assert [c["id"] for c in dev] == [11, 12] and dev[0]["body"].endswith("B\n") and dev[1]["body"].startswith("<!-- orchestrator-plan:dev:2 -->")

    third = _post(tmp_path, ["plan D"])  # shorter again: part 2 goes, part 1 is edited in place
    assert [(c["id"], c["body"]) for c in third["comments"]] == [
        (1, "LGTM"), (2, other_env["body"]), (11, "<!-- orchestrator-plan:dev:1 -->\nplan D\n")]
    assert third["calls"][-2:] == ["PATCH", "DELETE"]


def test_no_comment_when_nothing_in_the_environment_is_affected(fake_gh):
    tmp_path = fake_gh
    (tmp_path / "store.json").write_text(json.dumps({"comments": [], "next": 10}))
    assert _post(tmp_path, ["nothing to plan"], stacks=0)["comments"] == []


def test_secret_references_from_the_environment_come_from_githubs_secrets(tmp_path):
    root = tmp_path / "project"
    copy_project(root)
    staging = root / "environments" / "staging.yaml"
    staging.write_text(staging.read_text() + "secrets:\n  keepalive.connection_api_key_value: {env: KEEPALIVE_TOKEN}\n"
                       "  ecs.db_password: {ssm: /shopfront/staging/db-password}\n")
    files = github.render(Project(root))
    given = sorted(step["name"] for name in (github.PLAN_WORKFLOW, github.apply_file("staging"), github.DRIFT_WORKFLOW)
                   for job in yaml.safe_load(files[name])["jobs"].values() for step in job["steps"]
                   if step.get("env", {}).get("KEEPALIVE_TOKEN") == "${{ secrets.KEEPALIVE_TOKEN }}")  # by reference
    graph = load_graph(Project(root))
    assert given == sorted(["pr-plan staging", "drift staging", *(f"apply staging/{name}" for name in graph.stacks)])
    assert "KEEPALIVE_TOKEN" not in files[github.apply_file("dev")] and "secrets." not in files[github.apply_file("prod")]


# --- the drift issue script, against a stand-in for `gh` that keeps issues in a file ------------------

FAKE_GH_ISSUES = r'''#!/usr/bin/env python3
import json, os, subprocess, sys
store = os.environ["FAKE_GH_STORE"]
data = json.load(open(store))
args = sys.argv[1:]
def opt(name):
    return args[args.index(name) + 1] if name in args else None
data.setdefault("calls", []).append(" ".join(args[:2]))
if args[0] == "api":
    url = next(a for a in args[1:] if a.startswith("repos/"))
    assert "labels=orchestrator-drift" in url and "state=open" in url, url
    items = [i for i in data["issues"] if i["state"] == "open" and "orchestrator-drift" in i["labels"]]
    out = subprocess.run(["jq", "-r", opt("--jq")], input=json.dumps(items), capture_output=True, text=True, check=True)
    print(out.stdout, end="")
elif args[:2] == ["label", "create"]:
    pass
elif args[:2] == ["issue", "create"]:
    data["issues"].append({"number": len(data["issues"]) + 1, "title": opt("--title"), "labels": [opt("--label")],
                           "state": "open", "body": open(opt("--body-file")).read(), "comments": [], "pull_request": None})
else:
    issue = next(i for i in data["issues"] if i["number"] == int(args[2]))
    if args[1] == "edit":
        issue["body"] = open(opt("--body-file")).read()
    elif args[1] == "comment":
        issue["comments"].append(opt("--body"))
    elif args[1] == "close":
        issue["state"] = "closed"
        issue["comments"].append(opt("--comment"))
json.dump(data, open(store, "w"))
'''


def _drift_issue(work: Path, code: int, report: str | None) -> dict:
    job = load(github.DRIFT_WORKFLOW)["jobs"]["drift-staging"]
    script = next(s for s in job["steps"] if s.get("name") == "Open, update or close the drift issue")["run"]
    (work / "drift.md").unlink(missing_ok=True)
    if report is not None:
        (work / "drift.md").write_text(report)
    env = {**os.environ, "PATH": f"{work / 'bin'}:{os.environ['PATH']}", "FAKE_GH_STORE": str(work / "store.json"),
           "DRIFT_ENV": "staging", "DRIFT_CODE": str(code), "LABEL": github.DRIFT_LABEL, "GITHUB_REPOSITORY": "acme/shop",
           "GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": str(100 + code)}
    done = subprocess.run(["bash", "-e", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((work / "store.json").read_text())


def test_drift_opens_one_issue_per_environment_updates_it_and_closes_it(fake_gh):
    (fake_gh / "bin" / "gh").write_text(FAKE_GH_ISSUES)
    prod_issue = {"number": 1, "title": "Drift detected in prod", "labels": ["orchestrator-drift"], "state": "open",
                  "body": "prod", "comments": [], "pull_request": None}
    (fake_gh / "store.json").write_text(json.dumps({"issues": [prod_issue]}))

    assert _drift_issue(fake_gh, 0, None)["issues"] == [prod_issue]  # no drift, no issue: nothing written
    opened = _drift_issue(fake_gh, 3, "| network | aws_security_group.this | ingress |")["issues"]
    assert [i["title"] for i in opened] == ["Drift detected in prod", "Drift detected in staging"]
    assert "aws_security_group.this" in opened[1]["body"] and "actions/runs/103" in opened[1]["body"]

    again = _drift_issue(fake_gh, 3, "| ecs | aws_ecs_service.this | desired_count |")["issues"]
    assert len(again) == 2 and "desired_count" in again[1]["body"] and "aws_security_group" not in again[1]["body"]
    assert again[1]["comments"] == ["Still drifted as of https://github.com/acme/shop/actions/runs/103"]

    (fake_gh / "drift.md.2").write_text("**Part 2 of 2**")  # a long report: its other parts are in the artifact
    longer = _drift_issue(fake_gh, 3, "**Part 1 of 2** | ecs |")["issues"]
    assert longer[1]["body"].endswith("The report continues in the artifact drift-staging of the run.\n")
    (fake_gh / "drift.md.2").unlink()

    closed = _drift_issue(fake_gh, 0, None)["issues"]
    assert closed[1]["state"] == "closed" and closed[0] == prod_issue  # prod's issue is prod's business


# --- a job as GitHub runs it, for each exit status of the orchestrator ----------------------------------

STUB_ORCHESTRATOR = r"""#!/bin/sh
# `python -m orchestrator COMMAND ...`: writes what the command writes, prints an empty --json document
# and exits $STUB_EXIT.
[ "$1 $2" = "-m orchestrator" ] || exit 97
case "$3" in
  drift) echo "| ecs | aws_ecs_service.fixed[0] | desired_count |" > drift.md ;;
  pr-plan) mkdir -p comment && echo "plan" > comment/plan.md ;;
esac
echo '{"stacks": [], "errors": [], "removed": [], "may_be_affected": []}'
exit "$STUB_EXIT"
"""


def _evaluate(expression: str, outputs: dict, work: Path):
    """The GitHub expressions the generated steps use: steps.ID.outputs.NAME, hashFiles, ==, !=, &&, ||, always()."""
    python = re.sub(r"steps\.([\w-]+)\.outputs\.([\w-]+)", lambda m: repr(outputs.get(m[1], {}).get(m[2], "")), expression)
    python = re.sub(r"hashFiles\('([^']+)'\)", lambda m: repr("hash" if list(work.glob(m[1])) else ""), python)
    python = python.replace("always()", "True").replace("&&", " and ").replace("||", " or ")
    return eval(python, {"__builtins__": {}})  # noqa: S307 - the generated workflows' own expressions


def _substitute(text: str, outputs: dict, work: Path) -> str:
    """``${{ ... }}`` as GitHub fills it in (steps' outputs; anything else a stand-in value)."""
    return re.sub(r"\$\{\{\s*(.+?)\s*\}\}",
                  lambda m: str(_evaluate(m[1], outputs, work)) if m[1].startswith("steps.") else "stand-in", text)


def run_job(job: dict, first_step: str, work: Path, env: dict) -> tuple[bool, list[str], str]:
    """The job's steps from ``first_step`` on, as GitHub runs them: each ``run:`` under ``bash -e`` with its
    ``env:``, ``$GITHUB_OUTPUT`` read back as the step's outputs; after a failed step only ``always()``
    steps run; a step's ``if:`` decides; ``uses:`` steps are left out. Whether the job succeeded, the
    steps that ran, and what they printed."""
    steps = job["steps"]
    outputs, failed, ran, printed = {}, False, [], ""
    for step in steps[next(i for i, s in enumerate(steps) if s.get("name") == first_step):]:
        if (failed and "always()" not in step.get("if", "")) or ("if" in step and not _evaluate(step["if"], outputs, work)):
            continue
        if "uses" in step:
            continue
        output = work / "github-output"
        output.write_text("")
        step_env = {**env, **{k: _substitute(str(v), outputs, work) for k, v in step.get("env", {}).items()},
                    "GITHUB_OUTPUT": str(output)}
        done = subprocess.run(["bash", "-e", "-c", _substitute(step["run"], outputs, work)], cwd=work, env=step_env,
                              capture_output=True, text=True, timeout=60)
        ran.append(step["name"])
        printed += done.stdout + done.stderr
        outputs[step.get("id", "")] = dict(line.split("=", 1) for line in output.read_text().splitlines())
        failed = failed or done.returncode != 0
    return not failed, ran, printed


def _job_environment(work: Path, code: int) -> dict:
    return {**os.environ, "PATH": f"{work / 'bin'}:{os.environ['PATH']}", "FAKE_GH_STORE": str(work / "store.json"),
            "STUB_EXIT": str(code), "GITHUB_REPOSITORY": "acme/shop", "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_RUN_ID": "200", "GITHUB_REF_NAME": "main", "GITHUB_STEP_SUMMARY": str(work / "summary.md")}


OPEN_ISSUE = {"number": 1, "title": "Drift detected in staging", "labels": ["orchestrator-drift"], "state": "open",
              "body": "earlier drift", "comments": [], "pull_request": None}


# What the drift job says for each exit status of `drift`, and whether the job succeeds.
DRIFT_JOB = {
    0: (True, "no drift in staging"),
    3: (True, "::warning title=drift in staging::"),
    1: (False, "::error title=drift staging failed::a stack could not be checked (exit 1)"),
    2: (False, "::error title=drift staging: bad input::drift refused its input or usage (exit 2): nothing was checked"),
}


@pytest.mark.parametrize("code, issue_open, gh_calls", [
    (0, False, ["api"]),
    (0, True, ["api", "issue close"]),
    (3, False, ["api", "label create", "issue create"]),
    (3, True, ["api", "issue edit", "issue comment"]),
    (1, False, []),
    (1, True, []),
    (2, False, []),
    (2, True, []),
])
def test_the_drift_job_files_an_issue_only_for_drift_and_fails_on_errors_and_bad_input(fake_gh, code, issue_open, gh_calls):
    stand_in(fake_gh, "python", STUB_ORCHESTRATOR)
    (fake_gh / "bin" / "gh").write_text(FAKE_GH_ISSUES)
    (fake_gh / "store.json").write_text(json.dumps({"issues": [dict(OPEN_ISSUE)] if issue_open else []}))
    job = load(github.DRIFT_WORKFLOW)["jobs"]["drift-staging"]
    ok, ran, printed = run_job(job, "drift staging", fake_gh, _job_environment(fake_gh, code))
    succeeds, says = DRIFT_JOB[code]
    assert ok is succeeds and says in printed, printed
    store = json.loads((fake_gh / "store.json").read_text())
    assert [call.split()[0] if call.startswith("api ") else call for call in store.get("calls", [])] == gh_calls, printed
    assert ("Open, update or close the drift issue" in ran) is (code in (0, 3))
    still_open = [i["title"] for i in store["issues"] if i["state"] == "open"]
    assert still_open == (["Drift detected in staging"] if code == 3 or (issue_open and code != 0) else [])


def test_the_drift_issue_step_leaves_the_issue_alone_on_any_other_status(fake_gh):
    """Even run by hand on another status (the step's `if:` already keeps it from running), it changes nothing."""
    (fake_gh / "bin" / "gh").write_text(FAKE_GH_ISSUES)
    (fake_gh / "store.json").write_text(json.dumps({"issues": [dict(OPEN_ISSUE)]}))
    job = load(github.DRIFT_WORKFLOW)["jobs"]["drift-staging"]
    script = next(s for s in job["steps"] if s.get("name") == "Open, update or close the drift issue")["run"]
    for code in (1, 2):
        env = {**_job_environment(fake_gh, code), "DRIFT_ENV": "staging", "DRIFT_CODE": str(code), "LABEL": github.DRIFT_LABEL}
        done = subprocess.run(["bash", "-e", "-c", script], cwd=fake_gh, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 1 and f"drift exited {code}" in done.stdout, done.stdout + done.stderr
    assert json.loads((fake_gh / "store.json").read_text()) == {"issues": [OPEN_ISSUE]}  # not even looked up


@pytest.mark.parametrize("code, succeeds, says", [
    (0, True, None),
    (3, True, None),  # changes present: a successful plan
    (1, False, "::error title=pr-plan dev failed::"),
    (2, False, "::error title=pr-plan dev: bad input::pr-plan refused its input or usage (exit 2): nothing was planned"),
])
def test_the_plan_job_passes_on_changes_and_fails_on_errors_and_bad_input(fake_gh, code, succeeds, says):
    stand_in(fake_gh, "python", STUB_ORCHESTRATOR)
    (fake_gh / "store.json").write_text(json.dumps({"comments": [], "next": 10}))
    job = load(github.PLAN_WORKFLOW)["jobs"]["plan-dev"]
    ok, ran, printed = run_job(job, "pr-plan dev", fake_gh, {**_job_environment(fake_gh, code), "PR_NUMBER": "7"})
    assert ok is succeeds, printed
    assert ("Fail on a failed plan" in ran) is not succeeds
    assert "::error" not in printed if says is None else says in printed, printed


# --- the apply step: the reviewed plan, or a new plan that must do what the review showed -------------

FAKE_PYTHON = r'''#!/usr/bin/env python3
import json, os, sys
scenario = json.loads(os.environ["FAKE_SCENARIO"])
args = sys.argv[3:]  # python -m orchestrator COMMAND ENV --stack STACK ...
command = args[0]
plan_file = args[args.index("--plan-file") + 1] if "--plan-file" in args else None
with open("calls.log", "a") as log:
    log.write(" ".join([command] + ([plan_file] if plan_file else [])) + "\n")
stack = {"name": "ecs", "status": "ok", "changes": {"add": 0, "change": 1, "destroy": 0}, "error": None, "seconds": 1}
if command == "plan":
    json.dump({"resource_changes": scenario["replan"]}, open("replan.json", "w"))
    stack["plan_json"] = os.path.abspath("replan.json")
elif plan_file and plan_file.startswith("reviewed/") and scenario.get("reviewed_error"):
    stack.update(status="failed", error=scenario["reviewed_error"])
print(json.dumps({"env": "dev", "command": command, "stacks": [stack]}))
sys.exit(1 if stack["status"] == "failed" else 0)
'''
UPDATE = [{"address": "aws_ecs_service.this", "change": {"actions": ["update"]}}]
READ_ONLY = [{"address": "data.aws_region.current", "change": {"actions": ["no-op"]}}]
REPLACE = [{"address": "aws_ecs_service.this", "change": {"actions": ["delete", "create"]}}]


@pytest.mark.parametrize("case, reviewed, scenario, replan_input, code, calls", [
    ("the reviewed plan applies", UPDATE, {}, False, 0, ["apply reviewed/ecs.tfplan"]),
    ("stale, the new plan does the same", UPDATE, {"reviewed_error": "reviewed/ecs.tfplan: stale plan: the outputs changed",
                                                    "replan": UPDATE}, False, 0,
     ["apply reviewed/ecs.tfplan", "plan", "apply replan.tfplan"]),
    ("stale, the new plan differs", UPDATE, {"reviewed_error": "stale plan: inputs changed", "replan": REPLACE}, False, 1,
     ["apply reviewed/ecs.tfplan", "plan"]),
    ("refused for another reason: no new plan", UPDATE, {"reviewed_error": "AccessDenied"}, False, 1, ["apply reviewed/ecs.tfplan"]),
    ("not reviewed, nothing to change", None, {"replan": READ_ONLY}, False, 0, ["plan"]),
    ("not reviewed, changes", None, {"replan": UPDATE}, False, 1, ["plan"]),
    ("not reviewed, dispatched with replan", None, {}, True, 0, ["apply"]),
    ("reviewed against placeholders, the new plan does the same", "placeholders", {"replan": UPDATE}, False, 0,
     ["plan", "apply replan.tfplan"]),
])
def test_the_apply_step_uses_the_reviewed_plan_or_refuses_what_differs(tmp_path, case, reviewed, scenario, replan_input, code, calls):
    stand_in(tmp_path, "python", FAKE_PYTHON)
    if reviewed is not None:
        (tmp_path / "reviewed").mkdir()
        (tmp_path / "reviewed" / "ecs.tfplan").write_text("plan")
        placeholders = ["alb.target_group_arn"] if reviewed == "placeholders" else []
        (tmp_path / "reviewed" / "ecs.tfplan.meta.json").write_text(json.dumps({"placeholders": placeholders}))
        (tmp_path / "reviewed" / "ecs.plan.json").write_text(json.dumps({"resource_changes": UPDATE}))
    job = load(github.apply_file("dev"))["jobs"]["ecs"]
    script = next(s for s in job["steps"] if s.get("name") == "apply dev/ecs")["run"]
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}", "FAKE_SCENARIO": json.dumps(scenario),
           "APPLY_ENV": "dev", "STACK": "ecs", "REPLAN": "true" if replan_input else "false",
           "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    done = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == code, f"{case}: {done.stdout}{done.stderr}"
    assert (tmp_path / "calls.log").read_text().splitlines() == calls, case
    if code == 1 and "plan" in calls:
        assert "::error title=dev/ecs" in done.stdout  # the reason, as an annotation on the run
