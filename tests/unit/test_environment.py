"""Environment validation: every mistake names the file, the key path and the reason."""

import pytest

from orchestrator.config.environment import EnvironmentLoader
from orchestrator.config.errors import InputError
from orchestrator.config.project import Project


def problems_for(project, body: str, env: str = "gamma"):
    (project / "environments" / f"{env}.yaml").write_text(body)
    with pytest.raises(InputError) as caught:
        EnvironmentLoader(Project(project)).load(env)
    return caught.value.problems


def only(project, body: str):
    found = problems_for(project, body)
    assert len(found) == 1, found
    return found[0]


def test_a_digest_or_tag_written_into_image_is_one_problem_saying_where_it_goes(project):
    defaults = project / "environments" / "defaults.yaml"
    defaults.write_text(defaults.read_text().replace('  image_tag: "1.0.0"\n', ""))  # as in the report: no image_tag
    repository, digest = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fx/app", "sha256:" + "ab" * 32
    problem = only(project, f"app:\n  image: {repository}@{digest}\n")
    assert (problem.key, problem.reason) == ("app", (
        f"image '{repository}@{digest}' holds its digest: the repository goes in image, the digest in image_tag "
        f'(image: {repository}, image_tag: "{digest}"); promote moves image_tag'))
    tagged = only(project, "app:\n  image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/fx/app:2.1\n")
    assert f'holds its tag: the repository goes in image, the tag in image_tag (image: {repository}, image_tag: "2.1")' in tagged.reason
    (project / "environments" / "gamma.yaml").write_text(f'app:\n  image: {repository}\n  image_tag: "{digest}"\n')
    assert EnvironmentLoader(Project(project)).load("gamma").config.app.image_tag == digest


def test_fixture_environments_load(project):
    env = EnvironmentLoader(Project(project)).load("alpha")
    assert env.config.project == "fx"
    assert env.config.tags == {"Team": "fixtures"}
    assert env.context()["subnets"]["private"] == ["10.10.0.0/18", "10.10.64.0/18"]
    assert env.tags()["Environment"] == "alpha"


@pytest.mark.parametrize(
    "body, key, reason",
    [
        ("netwrok:\n  az_count: 2\n", "netwrok", "did you mean 'network'?"),
        ("network:\n  vpc_cidr: 10.0.0.0/33\n", "network.vpc_cidr", "is not an IPv4 network"),
        ("network:\n  vpc_cidr: 10.0.0.1/16\n", "network.vpc_cidr", "host bits set"),
        ("network:\n  vpc_cidr: 8.8.0.0/16\n", "network.vpc_cidr", "not a private"),
        ("network:\n  vpc_cidr: 10.0.0.0/12\n", "network.vpc_cidr", "between /16 and /24"),
        ("network:\n  az_count: 1\n", "network.az_count", "greater than or equal to 2"),
        ("network:\n  az_count: two\n", "network.az_count", "valid integer"),
        ("network:\n  private_subnet_cidrs: [10.10.0.0/24]\n", "network.private_subnet_cidrs", "1 subnets for az_count 2"),
        ("network:\n  private_subnet_cidrs: [10.10.0.0/24, 10.99.0.0/24]\n", "network.private_subnet_cidrs[1]", "outside the VPC"),
        ("network:\n  private_subnet_cidrs: [10.10.0.0/24, 10.10.0.0/25]\n", "network.private_subnet_cidrs[1]", "overlaps"),
        ("network:\n  nat_gateway: true\n", "network.nat_gateway", "needs public_subnets"),
        ("alb:\n  internal: false\n", "alb.internal", "Service Unavailable"),
        ("alb:\n  certificate_arn: arn:aws:acm:eu-west-1:111111111111:certificate/12345678-1234-1234-1234-123456789012\n", "alb.certificate_domain", "together"),
        ("app:\n  cpu: 256\n  memory: 4096\n", "app.memory", "not a Fargate size for cpu 256"),
        ("app:\n  cpu: 300\n", "app.cpu", "must be one of"),
        ("app:\n  image_tag: 1.5\n", "app.image_tag", "valid string"),
        ("app:\n  container_port: 70000\n", "app.container_port", "less than or equal to 65535"),
        ("provider: aws\n", "allowed_account_ids", "required for an environment on the real AWS provider"),
        ("allowed_account_ids: ['12345']\n", "allowed_account_ids[0]", "does not match"),
        ("region: mars-1\n", "region", "does not match"),
        ("project: Shop_Front\n", "project", "does not match"),
        ("backend:\n  type: s3\n", "backend.bucket", "required when backend.type is s3"),
        ("backend:\n  type: gcs\n", "backend.type", "must be one of"),
        ("tags:\n  aws:owner: me\n", "tags.aws:owner", "reserved"),
        ("keepalive:\n  schedule: rate(90 days)\n", "keepalive.schedule", "60 idle days"),
        ("keepalive:\n  schedule: rate(721 hours)\n", "keepalive.schedule", "at least every 30 days"),
        ("keepalive:\n  schedule: cron(0 12 * * * *)\n", "keepalive.schedule", "exactly one of"),
        ("keepalive:\n  schedule: cron(0 12 1 1 ? *)\n", "keepalive.schedule", "every month"),
        ("project: internal\n", "project", "internal-"),
        ("app:\n  image: public.ecr.aws/nginx/nginx\n", "app.image", "CannotPullContainerError"),
        ("app:\n  image: 111111111111.dkr.ecr.us-east-1.amazonaws.com/web\n", "app.image", "ECR of us-east-1"),
        ("tags:\n  Team: \"a;b\"\n", "tags.Team", "does not match"),
        ("alb:\n  health_check:\n    matcher: \"200-299,404\"\n", "alb.health_check.matcher", "does not match"),
        ("alb:\n  health_check:\n    matcher: \"100\"\n", "alb.health_check.matcher", "does not match"),
        ("app:\n  image_tag: sha256:abc\n", "app.image_tag", "does not match"),
        ("keepalive:\n  schedule: rate(1 days)\n", "keepalive.schedule", "singular"),
        ("app:\n  autoscaling:\n    enabled: true\n    min_capacity: 5\n    max_capacity: 2\n", "app.autoscaling.min_capacity", "greater than max"),
        ("alb:\n  health_check:\n    timeout_seconds: 30\n    interval_seconds: 10\n", "alb.health_check.timeout_seconds", "shorter than interval"),
        ("app:\n  environment:\n    not-valid: x\n", "app.environment.not-valid", "does not match"),
        ("app:\n  secrets:\n    DB: hunter2\n", "app.secrets.DB", "does not match"),
        ("app:\n  secrets:\n    DB: arn:aws:ssm:us-east-1:111111111111:parameter/db\n", "app.secrets.DB", "without NAT, tasks reach only the ssm endpoint of eu-west-1"),
        ("app:\n  environment: {DB: x}\n  secrets:\n    DB: arn:aws:ssm:eu-west-1:111111111111:parameter/db\n", "app.secrets.DB", "also a plain variable"),
        ("network:\n  availability_zone_ids: [euw1-az1]\n", "network.availability_zone_ids", "1 zone IDs for az_count 2"),
        ("network:\n  availability_zone_ids: [eu-west-1a, euw1-az2]\n", "network.availability_zone_ids[0]", "does not match"),
        ("alb:\n  access_logs:\n    bucket: Shop_Logs\n", "alb.access_logs.bucket", "not a valid S3 bucket name"),
        ("app:\n  writable_paths: [/tmp, /proc]\n", "app.writable_paths[1]", "kernel"),
        ("app:\n  writable_paths: [/var/cache, /var-cache]\n", "app.writable_paths[1]", "same task volume"),
        ("api:\n  authorization:\n    type: JWT\n    jwt_audience: [web]\nkeepalive:\n  path: /health\n", "api.authorization.jwt_issuer", "required with type JWT"),
        ("api:\n  authorization:\n    type: JWT\n    jwt_issuer: https://login.example.com\nkeepalive:\n  path: /health\n", "api.authorization.jwt_audience", "any application"),
        ("api:\n  authorization:\n    type: JWT\n    jwt_issuer: http://login.example.com\n    jwt_audience: [web]\nkeepalive:\n  path: /health\n", "api.authorization.jwt_issuer", "does not match"),
        ("api:\n  authorization:\n    jwt_audience: [web]\n", "api.authorization.jwt_audience", "applies to type JWT only"),
        ("api:\n  authorization:\n    type: AWS_IAM\n", "keepalive.path", "open the application's root to everyone"),
    ],
)
def test_mistakes_are_named(project, body, key, reason):
    found = only(project, body)
    assert found.file == "environments/gamma.yaml"
    assert found.key == key
    assert reason in found.reason
    assert found.line is not None or key.split(".")[0] not in body


def test_resource_names_must_fit_aws_limits(project):
    found = problems_for(project, "project: averyveryverylon\n", env="staging-eu-west1")
    assert found[0].key == "project" and "at most 24" in found[0].reason


def test_secret_sources_bring_their_endpoints(project):
    (project / "environments" / "gamma.yaml").write_text(
        "app:\n  secrets:\n    A: arn:aws:secretsmanager:eu-west-1:111111111111:secret:a-AbCdEf\n"
        "    B: arn:aws:ssm:eu-west-1:111111111111:parameter/b\n"
    )
    context = EnvironmentLoader(Project(project)).load("gamma").context()
    assert context["endpoints"] == ["ecr.api", "ecr.dkr", "logs", "ssm", "secretsmanager"]


def test_all_errors_are_reported_at_once(project):
    found = problems_for(project, "netwrok: {}\napp:\n  cpu: 3\n  container_port: 0\n")
    assert {p.key for p in found} == {"netwrok", "app.cpu", "app.container_port"}


def test_missing_required_key_is_blamed_on_the_environment_file(project):
    (project / "environments" / "defaults.yaml").write_text("region: eu-west-1\nprovider: local\n")
    found = problems_for(project, "project: fx\n")
    keys = {p.key: p for p in found}
    assert {"network", "app"} <= set(keys)
    assert keys["network"].file == "environments/gamma.yaml"
    assert keys["network"].reason == "required key is missing"


def test_a_bad_default_is_blamed_on_the_defaults_file(project):
    defaults = project / "environments" / "defaults.yaml"
    defaults.write_text(defaults.read_text() + "log_retention_days: 17\n")
    found = problems_for(project, "tags: {}\n")
    assert found[0].file == "environments/defaults.yaml" and found[0].key == "log_retention_days"


def test_unknown_environment_suggests_the_nearest(project):
    with pytest.raises(InputError) as caught:
        EnvironmentLoader(Project(project)).load("alpah")
    assert "did you mean 'alpha'" in str(caught.value)


@pytest.mark.parametrize("name", ["../etc", "Alpha", "a" * 17, "al pha", "alpha;rm", "аlpha"])
def test_environment_names_are_restricted(project, name):
    with pytest.raises(InputError) as caught:
        EnvironmentLoader(Project(project)).load(name)
    assert "is not an environment name" in str(caught.value)


SERVICE = "    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/{name}\n    image_tag: '1.0'\n"


def services(body: str) -> str:
    return "services:\n" + body


@pytest.mark.parametrize(
    ("body", "key", "reason"),
    [
        (services("  orders:\n" + SERVICE.format(name="orders") + "    route: {path_prefix: /orders, host: orders.example.com, priority: 1}\n"),
         "services.orders.route", "exactly one of path_prefix and host"),
        (services("  orders:\n" + SERVICE.format(name="orders") + "    route: {path_prefix: /orders/, priority: 1}\n"),
         "services.orders.route.path_prefix", "does not match the pattern"),
        (services("  orders:\n" + SERVICE.format(name="orders") + "    route: {path_prefix: /orders, priority: 1}\n"
                  "  admin:\n" + SERVICE.format(name="admin") + "    route: {path_prefix: /admin, priority: 1}\n"),
         "services.admin.route.priority", "1 is also services.orders's"),
        (services("  orders:\n" + SERVICE.format(name="orders") + "    route: {path_prefix: /orders, priority: 1}\n"
                  "  again:\n" + SERVICE.format(name="again") + "    route: {path_prefix: /orders, priority: 2}\n"),
         "services.again.route.path_prefix", "'/orders' is also services.orders's route"),
        (services("  orders:\n" + SERVICE.format(name="orders") + "    memory: 300\n"), "services.orders.memory", "greater than or equal to 512"),
        (services("  orders:\n" + SERVICE.format(name="orders") + "    memory: 4096\n"), "services.orders.memory", "not a Fargate size for cpu 256"),
        (services("  orders:\n    image: docker.io/library/nginx\n    image_tag: '1.0'\n"), "services.orders.image", "without a NAT gateway"),
        (services("  Orders:\n" + SERVICE.format(name="orders")), "services.Orders", "does not match the pattern"),
        ("project: shopfrontstore\n" + services("  an-overly-long-name:\n" + SERVICE.format(name="x")),
         "services.an-overly-long-name", "AWS limits target group names to 32"),
        (services("  orders:\n" + SERVICE.format(name="orders") + "    routes: {path_prefix: /orders, priority: 1}\n"),
         "services.orders.routes", "unknown key"),
    ],
)
def test_a_service_s_mistakes_are_named(project, body, key, reason):
    found = [p for p in problems_for(project, body) if p.key == key]
    assert found, problems_for(project, body)
    assert found[0].file == "environments/gamma.yaml" and found[0].line is not None
    assert reason in found[0].reason, found[0].reason
