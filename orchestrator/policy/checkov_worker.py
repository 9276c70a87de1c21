"""A checkov process that imports once, then checks plan after plan.

Run by ``checks.PolicyChecker`` with the Python of checkov's own environment (``tools/pypi.py``):
it imports the standard library and checkov only, never the orchestrator.

    python checkov_worker.py POLICY_DIR [POLICY_DIR ...]                         one run's worker, on stdin/stdout
    python checkov_worker.py --serve SOCKET IDLE_SECONDS POLICY_DIR [...]        a warm worker, shared by runs

Importing checkov takes seconds of CPU; checking one stack's plan, a tenth of that. A run starts
its worker when it starts (while Terraform plans); a warm worker (``--serve``) stays up between runs
on a Unix socket, so the next run (the next Atlantis project, the next plan on a laptop) does not
import checkov again. It exits after IDLE_SECONDS without a connection, and removes its socket.

Protocol, one JSON document per line. First the worker says ``{"ready": true, "checkov": VERSION,
"custom": [IDS]}`` (the checks loaded from POLICY_DIRs) or ``{"ready": false, "error": ...}`` (a
warm worker says it on its stdout once, when it listens, and again to each connection). Then for
each request ``{"plan": PLAN_JSON, "source": DIR, "environ": {...}, "cwd": DIR}`` it answers
``{"passed": [...], "failed": [...], "skipped": [...]}`` or ``{"error": ...}``; each item is a finding
``{check_id, check_name, resource, file, guideline, reason}``. ``environ`` and ``cwd`` are the asking
run's environment and folder, which checkov and the project's policies see while they check its
plan (a warm worker itself lives in its socket's folder: the folder of the run that started it may
be gone by the next run). ``source`` is the Terraform configuration the
plan was made from: its ``#checkov:skip=ID:reason`` comments turn a failed check of that resource
into a skipped one, as ``checkov --repo-root-for-plan-enrichment`` does (read only when the plan
fails a check: skip comments change nothing else).
"""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
import traceback


def _finding(record) -> dict:
    return {
        "check_id": record.check_id,
        "check_name": record.check_name,
        "resource": record.resource,
        "file": record.file_path,
        "guideline": record.guideline,
        "reason": (record.check_result or {}).get("suppress_comment"),
    }


# checkov reads a plan's JSON with its YAML loader, in pure Python, to record line numbers; that was
# 60 % of a check's time. `terraform show -json` writes the whole plan on one line, so those numbers
# say nothing, and checkov's own path for a JSON file over this size (json.loads) gives the same
# answers (tests/policy/test_plan_parsing.py). Read when checkov is imported; a user's value wins.
JSON_PARSE_SETTING = ("CHECKOV_MAX_IAC_FILE_SIZE", "0")


def load(policy_dirs: list[str]) -> dict:
    """Import checkov and the project's checks; the hello line."""
    sys.stdout = io.StringIO()  # checkov prints banners and warnings: never into the protocol
    os.environ.setdefault(*JSON_PARSE_SETTING)
    logging.disable(logging.WARNING)
    try:
        from checkov.terraform.checks.resource.registry import resource_registry
        from checkov.terraform.plan_runner import Runner  # noqa: F401 - imported now, not at the first plan
        from checkov.version import version

        known = {check.id for checks in resource_registry.checks.values() for check in checks}
        for directory in policy_dirs:
            resource_registry.load_external_checks(directory)
        loaded = {check.id for checks in resource_registry.checks.values() for check in checks} - known
    except Exception as error:  # noqa: BLE001 - reported to the orchestrator, which explains it
        return {"ready": False, "error": f"{error!r}"}
    return {"ready": True, "checkov": version, "custom": sorted(loaded)}


def answer(line: str) -> str:
    """The answer line to one request line."""
    from checkov.common.output.report import Report
    from checkov.common.runners.runner_registry import RunnerRegistry
    from checkov.runner_filter import RunnerFilter
    from checkov.terraform.plan_runner import Runner

    environ, home = dict(os.environ), os.getcwd()
    try:
        request = json.loads(line)
        if isinstance(request.get("environ"), dict):
            os.environ.clear()
            os.environ.update(request["environ"])
        if request.get("cwd"):
            os.chdir(request["cwd"])
        runner_filter = RunnerFilter(framework=["terraform_plan"], show_progress_bar=False)
        report = Runner().run(root_folder=None, files=[request["plan"]], runner_filter=runner_filter)
        report = report[0] if isinstance(report, list) else report
        # Skip comments turn failed checks into skipped ones and nothing else (checkov's
        # handle_skipped_checks reads failed checks only): a plan with no failure needs no enrichment,
        # which parses the whole module (most of a check's time).
        if request.get("source") and report.failed_checks:
            enriched = RunnerRegistry.get_enriched_resources([request["source"]], download_external_modules=False)
            report = Report("terraform_plan").enrich_plan_report(report, enriched)
            report = Report("terraform_plan").handle_skipped_checks(report, enriched)
        document = {
            "passed": [_finding(r) for r in report.passed_checks],
            "failed": [_finding(r) for r in report.failed_checks],
            "skipped": [_finding(r) for r in report.skipped_checks],
            "parsing_errors": list(report.parsing_errors),
        }
    except Exception as error:  # noqa: BLE001
        document = {"error": f"{error!r}\n{traceback.format_exc(limit=4)}"}
    finally:
        os.environ.clear()
        os.environ.update(environ)
        os.chdir(home)
        sys.stdout = io.StringIO()
    return json.dumps(document, default=str)


def serve_stdio(policy_dirs: list[str]) -> int:
    out = sys.stdout
    hello = load(policy_dirs)
    out.write(json.dumps(hello) + "\n")
    out.flush()
    if not hello["ready"]:
        return 1
    for line in sys.stdin:
        out.write(answer(line) + "\n")
        out.flush()
    return 0


def serve_socket(path: str, idle_seconds: float, policy_dirs: list[str]) -> int:
    """Listen on ``path`` until ``idle_seconds`` pass with no connection open; checks one at a time."""
    out = sys.stdout
    hello = load(policy_dirs)
    if hello["ready"]:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            server.bind(path)
            server.listen(64)
        except OSError as error:
            hello = {"ready": False, "error": f"cannot listen on {path}: {error}"}
    try:
        out.write(json.dumps({**hello, "serving": path}) + "\n")
        out.flush()
    except OSError:
        pass  # that run has ended meanwhile (every answer was cached): serve the next ones
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # the run that started this worker reads one line only
    if not hello["ready"]:
        return 1
    def leave(_signal, _frame) -> None:  # stopped (kill, logout): no socket left behind
        try:
            os.unlink(path)
        finally:
            os._exit(0)

    signal.signal(signal.SIGTERM, leave)
    signal.signal(signal.SIGHUP, leave)
    checking = threading.Lock()
    state = {"open": 0, "last": time.monotonic()}
    counted = threading.Lock()

    def handle(connection: socket.socket) -> None:
        try:
            with connection, connection.makefile("r", encoding="utf-8") as reader, \
                    connection.makefile("w", encoding="utf-8") as writer:
                writer.write(json.dumps(hello) + "\n")
                writer.flush()
                for line in reader:
                    with checking:
                        text = answer(line)
                    writer.write(text + "\n")
                    writer.flush()
        except OSError:
            pass  # the run went away (Ctrl-C, or it had every answer): nothing to tell it
        finally:
            with counted:
                state["open"] -= 1
                state["last"] = time.monotonic()

    server.settimeout(0.5)
    while True:
        try:
            connection, _ = server.accept()
        except TimeoutError:
            with counted:
                if state["open"] == 0 and time.monotonic() - state["last"] > idle_seconds:
                    break
            continue
        connection.settimeout(None)
        with counted:
            state["open"] += 1
        threading.Thread(target=handle, args=(connection,), daemon=True).start()
    # First the name, then the socket: a run that comes now finds no socket and starts a new worker.
    try:
        os.unlink(path)
    except OSError:
        pass
    server.close()
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["--serve"]:
        return serve_socket(argv[1], float(argv[2]), argv[3:])
    return serve_stdio(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
