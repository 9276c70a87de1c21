"""A checkov process that stays up for a whole run: imports once, then checks plan after plan.

Run by ``checks.PolicyChecker`` with the Python of checkov's own environment (``tools/pypi.py``):
it imports the standard library and checkov only, never the orchestrator.

    python checkov_worker.py POLICY_DIR [POLICY_DIR ...]

Importing checkov takes seconds; checking one stack's plan, a tenth of that. So the orchestrator
starts this at the beginning of a run (while Terraform plans) and sends each plan as it is made.

Protocol, one JSON document per line. First the worker says ``{"ready": true, "checkov": VERSION,
"custom": [IDS]}`` (the checks loaded from POLICY_DIRs) or ``{"ready": false, "error": ...}``. Then for each request ``{"plan": PLAN_JSON, "source": DIR}``
it answers ``{"passed": [...], "failed": [...], "skipped": [...]}`` or ``{"error": ...}``; each item
is a finding ``{check_id, check_name, resource, file, guideline, reason}``. ``source`` is the Terraform
configuration the plan was made from: its ``#checkov:skip=ID:reason`` comments turn a failed check of
that resource into a skipped one, as ``checkov --repo-root-for-plan-enrichment`` does.
"""

from __future__ import annotations

import io
import json
import logging
import sys
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


def main(policy_dirs: list[str]) -> int:
    out = sys.stdout
    sys.stdout = io.StringIO()  # checkov prints banners and warnings: never into the protocol
    logging.disable(logging.WARNING)
    try:
        from checkov.common.output.report import Report
        from checkov.common.runners.runner_registry import RunnerRegistry
        from checkov.runner_filter import RunnerFilter
        from checkov.terraform.checks.resource.registry import resource_registry
        from checkov.terraform.plan_runner import Runner
        from checkov.version import version

        known = {check.id for checks in resource_registry.checks.values() for check in checks}
        for directory in policy_dirs:
            resource_registry.load_external_checks(directory)
        loaded = {check.id for checks in resource_registry.checks.values() for check in checks} - known
    except Exception as error:  # noqa: BLE001 - reported to the orchestrator, which explains it
        out.write(json.dumps({"ready": False, "error": f"{error!r}"}) + "\n")
        out.flush()
        return 1
    out.write(json.dumps({"ready": True, "checkov": version, "custom": sorted(loaded)}) + "\n")
    out.flush()
    for line in sys.stdin:
        try:
            request = json.loads(line)
            runner_filter = RunnerFilter(framework=["terraform_plan"], show_progress_bar=False)
            report = Runner().run(root_folder=None, files=[request["plan"]], runner_filter=runner_filter)
            report = report[0] if isinstance(report, list) else report
            if request.get("source"):
                enriched = RunnerRegistry.get_enriched_resources([request["source"]], download_external_modules=False)
                report = Report("terraform_plan").enrich_plan_report(report, enriched)
                report = Report("terraform_plan").handle_skipped_checks(report, enriched)
            answer = {
                "passed": [_finding(r) for r in report.passed_checks],
                "failed": [_finding(r) for r in report.failed_checks],
                "skipped": [_finding(r) for r in report.skipped_checks],
                "parsing_errors": list(report.parsing_errors),
            }
        except Exception as error:  # noqa: BLE001
            answer = {"error": f"{error!r}\n{traceback.format_exc(limit=4)}"}
        sys.stdout = io.StringIO()
        out.write(json.dumps(answer, default=str) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
