# Secret environment variables come from SSM and Secrets Manager at task start, by ARN.
name            = "shop-test"
container_image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.4.2"
container_secrets = {
  DB_PASSWORD = "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/db-password"
  API_TOKEN   = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/api-token-AbCdEf:token::"
}
