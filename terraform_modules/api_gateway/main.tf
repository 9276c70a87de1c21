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

resource "aws_apigatewayv2_route" "this" {
  for_each = local.route_keys

  api_id    = aws_apigatewayv2_api.this.id
  route_key = each.key
  target    = "integrations/${aws_apigatewayv2_integration.this.id}"
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/apigateway/${var.name}/access"
  retention_in_days = var.access_log_retention_in_days

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

  depends_on = [aws_apigatewayv2_route.this]
}
