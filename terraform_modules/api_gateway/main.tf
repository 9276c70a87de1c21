# HTTP API: every request, on every path including "/", goes through the VPC link to the internal
# ALB's listener (private integration, HTTP_PROXY).

locals {
  # "ANY /{proxy+}" matches every path below "/", "$default" catches "/" and whatever no other route
  # matches: together they send every request to the application.
  route_keys = toset(["ANY /{proxy+}", "$default"])

  access_log_format = {
    requestId          = "$context.requestId"
    requestTime        = "$context.requestTime"
    ip                 = "$context.identity.sourceIp"
    httpMethod         = "$context.httpMethod"
    path               = "$context.path"
    routeKey           = "$context.routeKey"
    status             = "$context.status"
    protocol           = "$context.protocol"
    responseLength     = "$context.responseLength"
    responseLatency    = "$context.responseLatency"
    integrationStatus  = "$context.integrationStatus"
    integrationLatency = "$context.integrationLatency"
    integrationError   = "$context.integrationErrorMessage"
    errorMessage       = "$context.error.message"
  }
}

resource "aws_apigatewayv2_api" "this" {
  name          = var.name
  description   = var.description
  protocol_type = "HTTP"

  dynamic "cors_configuration" {
    for_each = var.cors == null ? [] : [var.cors]
    content {
      allow_origins     = cors_configuration.value.allow_origins
      allow_methods     = cors_configuration.value.allow_methods
      allow_headers     = cors_configuration.value.allow_headers
      expose_headers    = cors_configuration.value.expose_headers
      allow_credentials = cors_configuration.value.allow_credentials
      max_age           = cors_configuration.value.max_age
    }
  }

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_apigatewayv2_integration" "this" {
  api_id                 = aws_apigatewayv2_api.this.id
  description            = "Internal ALB listener through the VPC link"
  integration_type       = "HTTP_PROXY"
  integration_method     = "ANY"
  connection_type        = "VPC_LINK"
  connection_id          = var.vpc_link_id
  integration_uri        = var.listener_arn
  payload_format_version = "1.0" # the only version HTTP_PROXY integrations accept
  timeout_milliseconds   = var.integration_timeout_milliseconds

  # API Gateway does not pass the client's Host header on to the listener, so a rule of the ALB that
  # routes by host reads this header instead: the domain name the client called.
  request_parameters = var.forwarded_host_header == null ? null : {
    "overwrite:header.${var.forwarded_host_header}" = "$context.domainName"
  }

  # With a TLS configuration API Gateway speaks HTTPS to the listener, without one plain HTTP: the
  # two must agree, or every request fails at run time.
  dynamic "tls_config" {
    for_each = var.integration_tls_server_name == null ? [] : [var.integration_tls_server_name]
    content {
      server_name_to_verify = tls_config.value
    }
  }

  lifecycle {
    precondition {
      condition     = var.listener_protocol == "HTTP" || var.integration_tls_server_name != null
      error_message = "The ALB listener speaks HTTPS: set integration_tls_server_name to a name on its certificate. Without a TLS configuration API Gateway sends plain HTTP to the listener and every request fails."
    }
    precondition {
      condition     = var.listener_protocol == "HTTPS" || var.integration_tls_server_name == null
      error_message = "integration_tls_server_name makes API Gateway speak HTTPS, but the ALB listener speaks HTTP: leave it null."
    }
  }
}

# Who may call: AWS_IAM (SigV4-signed requests of principals the caller's IAM policies allow to
# execute-api:Invoke), JWT (tokens of one issuer for one of the audiences, checked by API Gateway
# before the request reaches the VPC link), or NONE (anyone: the application authenticates).
resource "aws_apigatewayv2_authorizer" "jwt" {
  count = var.authorization_type == "JWT" ? 1 : 0

  api_id           = aws_apigatewayv2_api.this.id
  name             = "${var.name}-jwt"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    issuer   = var.jwt_issuer
    audience = var.jwt_audience
  }
}

resource "aws_apigatewayv2_route" "this" {
  for_each = local.route_keys

  api_id               = aws_apigatewayv2_api.this.id
  route_key            = each.key
  target               = "integrations/${aws_apigatewayv2_integration.this.id}"
  authorization_type   = var.authorization_type
  authorizer_id        = var.authorization_type == "JWT" ? aws_apigatewayv2_authorizer.jwt[0].id : null
  authorization_scopes = var.authorization_type == "JWT" && length(var.jwt_authorization_scopes) > 0 ? var.jwt_authorization_scopes : null
}

# Routes left open on purpose, none by default: the keep-alive's request (an EventBridge API
# destination can neither sign it with SigV4 nor obtain a JWT without an OAuth client) must pass
# API Gateway to reach the VPC link and keep it ACTIVE. Name the health path only.
resource "aws_apigatewayv2_route" "unauthenticated" {
  #checkov:skip=CKV_AWS_309:Only the routes named in unauthenticated_route_keys (none by default, validated to be specific METHOD /path keys, never the catch-all routes): the keep-alive's health request, which an EventBridge API destination can neither sign (SigV4) nor send with a JWT, and which must reach the VPC link to keep it ACTIVE. Every other route requires authorization_type.
  for_each = toset(var.unauthenticated_route_keys)

  api_id             = aws_apigatewayv2_api.this.id
  route_key          = each.key
  target             = "integrations/${aws_apigatewayv2_integration.this.id}"
  authorization_type = "NONE"
}

# --- access logs: kept a year, encrypted with a key of their own ---------------------------------

data "aws_region" "current" {}

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

locals {
  access_log_group_name     = "/apigateway/${var.name}/access"
  access_log_kms_key_create = var.access_log_kms_key_arn == null && var.access_log_kms_key_create
  partition                 = data.aws_partition.current.partition
  region                    = data.aws_region.current.region
  account_id                = data.aws_caller_identity.current.account_id
}

# A customer managed key for the access log group alone, rotated every year. Its key policy (written
# inline: it is a key policy, where Resource "*" means this key, not an IAM policy) is AWS's default,
# which lets the account's IAM policies govern the key, plus CloudWatch Logs for this log group only.
resource "aws_kms_key" "access_log" {
  count = local.access_log_kms_key_create ? 1 : 0

  description             = "Encrypts the API Gateway access log group ${local.access_log_group_name}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountManagesTheKeyThroughIam"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogsEncryptsThisLogGroup"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.${data.aws_partition.current.dns_suffix}" }
        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnEquals = { "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.access_log_group_name}" }
        }
      },
    ]
  })

  tags = merge(var.tags, { Name = "${var.name}-api-access-logs" })
}

resource "aws_cloudwatch_log_group" "access" {
  name              = local.access_log_group_name
  retention_in_days = var.access_log_retention_in_days
  kms_key_id        = local.access_log_kms_key_create ? aws_kms_key.access_log[0].arn : var.access_log_kms_key_arn

  tags = var.tags
}

resource "aws_apigatewayv2_stage" "this" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format          = jsonencode(local.access_log_format)
  }

  default_route_settings {
    throttling_burst_limit   = var.throttling_burst_limit
    throttling_rate_limit    = var.throttling_rate_limit
    detailed_metrics_enabled = var.detailed_metrics_enabled
  }

  tags = merge(var.tags, { Name = var.name })

  depends_on = [aws_apigatewayv2_route.this, aws_apigatewayv2_route.unauthenticated]
}
