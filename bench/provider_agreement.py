"""How often the local stand-in agrees with the real hashicorp/aws (built here) on moto.

    python bench/provider_agreement.py [--only CASE] [--json FILE]

Runs the cases of tests/local_provider/differential.py on both providers: plans compared (actions,
replace paths, attributes unknown at plan), both applied, the defaults after apply compared, an
update planned and compared. Prints each disagreement and the agreement figure.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "local_provider")]

from differential import CASES, agreement, real_provider_binary, real_provider_environment, run_case  # noqa: E402

from orchestrator.local_provider import cli_environment  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    binary = real_provider_binary()
    if binary is None:
        print("the real hashicorp/aws provider is not built here", file=sys.stderr)
        return 2
    from moto import server as moto_server

    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    outcomes = []
    try:
        with tempfile.TemporaryDirectory(prefix="provider-agreement-") as tmp:
            root = Path(tmp)
            local = cli_environment(root / "local-cache", root / "local-cloud")
            real = real_provider_environment(binary, root / "real", f"http://{host}:{port}")
            for name, case in CASES.items():
                if args.only not in name:
                    continue
                outcome = run_case(name, case, root, local, real)
                outcomes.append(outcome)
                agreed, total = agreement([outcome])
                print(f"{name:<20} {agreed}/{total}" + (f"  ERROR {outcome.error[-300:]}" if outcome.error else ""))
                for what, agrees, detail in outcome.rows:
                    if not agrees:
                        print(f"    {what}: {detail}")
    finally:
        server.stop()
    agreed, total = agreement(outcomes)
    print(f"\nagreement: {agreed}/{total} comparisons ({100 * agreed / max(total, 1):.0f}%)")
    if args.json:
        args.json.write_text(json.dumps([{"case": o.name, "error": o.error, "rows": o.rows} for o in outcomes], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
