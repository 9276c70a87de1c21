"""local-cloud list: what the built-in provider's store holds, each object by id and by the name people know it by."""

import pytest

from helpers import run_cli

from orchestrator.config.project import Project
from orchestrator.local_cloud import edits


@pytest.mark.terraform
def test_list_shows_each_objects_name_or_name_tag_beside_its_id(project):
    cloud = edits.store(Project(project), "alpha")
    cloud.put("aws_security_group", "sg-0b", {"id": "sg-0b", "name": "fx-alpha-tasks", "tags": {"Name": "tasks"}})
    cloud.put("aws_security_group", "sg-0a", {"id": "sg-0a", "name": "fx-alpha-alb"})
    cloud.put("aws_vpc", "vpc-01", {"id": "vpc-01", "tags": {"Name": "fx-alpha"}})
    cloud.put("aws_cloudwatch_log_group", "/ecs/fx-alpha", {"id": "/ecs/fx-alpha", "name": "/ecs/fx-alpha"})
    cloud.put("aws_route_table", "rtb-01", {"id": "rtb-01", "tags": {}})

    listed = run_cli(project, "local-cloud", "list", "alpha")
    assert listed.code == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        "aws_cloudwatch_log_group /ecs/fx-alpha",  # its name is its id: said once
        "aws_route_table rtb-01",  # neither name nor Name tag
        "aws_security_group sg-0a  fx-alpha-alb",
        "aws_security_group sg-0b  fx-alpha-tasks",  # the name, before the Name tag
        "aws_vpc vpc-01  fx-alpha",
    ]
    as_json = run_cli(project, "local-cloud", "list", "alpha", "aws_security_group", "--json")
    assert as_json.json == {"aws_security_group": ["sg-0a", "sg-0b"]}  # unchanged: ids by type
