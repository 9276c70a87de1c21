"""Every module test case planned on the real provider (against moto): the inventories hold there too.

The same cases and inventories as tests/modules (built-in provider): each case's expected plan
values, and each refused case's error, must hold on hashicorp/aws itself. Plans read the data
sources (availability zones, caller identity, partition, region) from moto.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "modules"))
from plan_inventory import REGION, ModulePlanner, case_problems, cases, modules  # noqa: E402

from conformance_support import needs_full  # noqa: E402
from orchestrator.terraform.target import MOTO_SERVICES  # noqa: E402

pytestmark = [pytest.mark.terraform, pytest.mark.moto, pytest.mark.real_provider, pytest.mark.slow]


def real_provider_env(root: Path, mirror: Path, endpoint: str) -> dict[str, str]:
    config = root / "real-provider.tfrc"
    config.write_text(
        f'provider_installation {{\n  filesystem_mirror {{\n    path    = "{mirror}"\n'
        '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "TF_PLUGIN_CACHE_DIR"}
    env.update(TF_CLI_CONFIG_FILE=str(config), CHECKPOINT_DISABLE="1", AWS_ACCESS_KEY_ID="testing",
               AWS_SECRET_ACCESS_KEY="testing", AWS_REGION=REGION, AWS_ENDPOINT_URL=endpoint)
    return env


def moto_provider_block(endpoint: str) -> str:
    endpoints = "\n".join(f'    {service} = "{endpoint}"' for service in MOTO_SERVICES)
    return (f'provider "aws" {{\n  region = "{REGION}"\n  skip_metadata_api_check = true\n'
            f"  endpoints {{\n{endpoints}\n  }}\n}}\n")


@pytest.fixture(scope="session")
def real_planners(provider_mirror, moto_server, tmp_path_factory):
    root = tmp_path_factory.mktemp("real-provider-plans")
    env = real_provider_env(root, provider_mirror[0], moto_server.endpoint)
    made: dict[str, ModulePlanner] = {}

    def get(module: str) -> ModulePlanner:
        if module not in made:
            made[module] = ModulePlanner(module, root, env, provider_block=moto_provider_block(moto_server.endpoint))
        return made[module]

    return get


@pytest.mark.parametrize("module", modules())
def test_module_validates_on_the_real_provider(module, real_planners):
    assert "Success" in real_planners(module).validate()


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.id)
def test_case_plans_on_the_real_provider_as_on_the_built_in_one(case, real_planners):
    needs_full("planning every module case")
    problems = case_problems(case, real_planners(case.module))
    assert not problems, f"{case.id} on the real provider:\n  " + "\n  ".join(problems)
