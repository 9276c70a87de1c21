"""Refuse to touch an environment with credentials of an account it does not allow.

The generated provider block carries ``allowed_account_ids``, so the AWS provider refuses too;
this check runs first, before any stack starts, so that nothing at all runs on the wrong account.
"""

from __future__ import annotations

from orchestrator.config.errors import InputError, Problem


NO_CREDENTIALS_HINT = (
    "give them as AWS_PROFILE=NAME (~/.aws/config, SSO included), AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
    "an instance or task role, or a web identity (AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE); "
    "or rehearse offline, without an account: --provider local (built-in provider) or --provider moto"
)


def require_credentials(env, where: str) -> None:
    """Refuse at once when boto3's credential chain finds nothing, before Terraform spends its retries on it."""
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        found = boto3.Session().get_credentials()
    except BotoCoreError as error:  # a profile that does not exist, a config file that cannot be read
        found, why = None, f"{error}"
    else:
        why = "none found"
    if found is None:
        raise InputError([Problem(where, "AWS credentials", f"{why}; environment {env.name!r} runs on the real AWS provider: {NO_CREDENTIALS_HINT}")])


def caller_account(region: str) -> str:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return boto3.client("sts", region_name=region).get_caller_identity()["Account"]
    except (BotoCoreError, ClientError) as error:
        raise InputError([Problem("AWS credentials", "", f"cannot tell which account they belong to: {error}")]) from None


def check(env, where: str) -> str:
    """The caller's account, after checking it is one the environment allows."""
    require_credentials(env, where)
    account = caller_account(env.config.region)
    allowed = env.config.allowed_account_ids
    if allowed and account not in allowed:
        raise InputError(
            [Problem(where, "allowed_account_ids", f"the AWS credentials belong to account {account}, which environment {env.name!r} does not allow ({', '.join(allowed)}); nothing was changed")]
        )
    return account
