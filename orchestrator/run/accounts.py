"""Refuse to touch an environment with credentials of an account it does not allow.

The generated provider block carries ``allowed_account_ids``, so the AWS provider refuses too;
this check runs first, before any stack starts, so that nothing at all runs on the wrong account.
"""

from __future__ import annotations

from orchestrator.config.errors import InputError, Problem


def caller_account(region: str) -> str:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return boto3.client("sts", region_name=region).get_caller_identity()["Account"]
    except (BotoCoreError, ClientError) as error:
        raise InputError([Problem("AWS credentials", "", f"cannot tell which account they belong to: {error}")]) from None


def check(env, where: str) -> str:
    """The caller's account, after checking it is one the environment allows."""
    account = caller_account(env.config.region)
    allowed = env.config.allowed_account_ids
    if allowed and account not in allowed:
        raise InputError(
            [Problem(where, "allowed_account_ids", f"the AWS credentials belong to account {account}, which environment {env.name!r} does not allow ({', '.join(allowed)}); nothing was changed")]
        )
    return account
