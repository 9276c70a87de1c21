# Keep-alive: an HTTP API VPC link that carries no traffic for 60 days becomes INACTIVE, and
# requests fail for minutes while API Gateway re-creates its network interfaces. An EventBridge rule
# calls the API's health path on a schedule through an API destination (no Lambda); two alarms tell
# when the calls fail or when the API has not seen any request at all.

locals {
  invocation_endpoint = "${trimsuffix(var.api_endpoint, "/")}${var.health_path}"

  # Interval of a rate() schedule in hours (null for cron()), to check it against the idle alarm.
  rate_parts = try(regex("^rate\\(([0-9]+) (minute|hour|day)s?\\)$", var.schedule_expression), null)
  rate_hours = local.rate_parts == null ? null : tonumber(local.rate_parts[0]) * lookup({ minute = 1 / 60, hour = 1, day = 24 }, local.rate_parts[1])
}

resource "aws_cloudwatch_event_connection" "this" {
  name               = "${var.name}-keepalive"
  description        = "Keep-alive of ${var.name}: labels the request with a header"
  authorization_type = "API_KEY"

  auth_parameters {
    api_key {
      key   = var.connection_api_key_name
      value = var.connection_api_key_value
    }
  }
}

resource "aws_cloudwatch_event_api_destination" "this" {
  name                             = "${var.name}-keepalive"
  description                      = "Health path of ${var.name} through API Gateway and its VPC link"
  connection_arn                   = aws_cloudwatch_event_connection.this.arn
  http_method                      = var.http_method
  invocation_endpoint              = local.invocation_endpoint
  invocation_rate_limit_per_second = 1
}

resource "aws_cloudwatch_event_rule" "this" {
  name                = "${var.name}-keepalive"
  description         = "Keeps the API Gateway VPC link of ${var.name} active with a scheduled request"
  schedule_expression = var.schedule_expression
  state               = "ENABLED"

  tags = var.tags
}

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "events_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    # Only EventBridge acting for this account may assume the role (confused deputy protection).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

data "aws_iam_policy_document" "invoke" {
  statement {
    actions   = ["events:InvokeApiDestination"]
    resources = [aws_cloudwatch_event_api_destination.this.arn]
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.name}-keepalive"
  description        = "Lets EventBridge call the keep-alive API destination of ${var.name}"
  assume_role_policy = data.aws_iam_policy_document.events_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "invoke-keepalive-api-destination"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.invoke.json
}

resource "aws_cloudwatch_event_target" "this" {
  rule      = aws_cloudwatch_event_rule.this.name
  target_id = "keepalive"
  arn       = aws_cloudwatch_event_api_destination.this.arn
  role_arn  = aws_iam_role.this.arn

  retry_policy {
    maximum_retry_attempts       = 3
    maximum_event_age_in_seconds = 900
  }
}

resource "aws_cloudwatch_metric_alarm" "failed_invocations" {
  alarm_name          = "${var.name}-keepalive-failed"
  alarm_description   = "The keep-alive request to ${local.invocation_endpoint} failed (after retries): the path API Gateway -> VPC link -> ALB -> application may be broken, and the VPC link is not kept warm."
  namespace           = "AWS/Events"
  metric_name         = "FailedInvocations"
  dimensions          = { RuleName = aws_cloudwatch_event_rule.this.name }
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "idle" {
  count = var.idle_alarm_enabled ? 1 : 0

  alarm_name          = "${var.name}-api-idle"
  alarm_description   = "The HTTP API ${var.api_id} served no request for ${var.idle_alarm_hours} hours: the keep-alive is not reaching it, and its VPC link becomes INACTIVE after 60 idle days."
  namespace           = "AWS/ApiGateway"
  metric_name         = "Count"
  dimensions          = { ApiId = var.api_id }
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = var.idle_alarm_hours
  datapoints_to_alarm = var.idle_alarm_hours
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching" # API Gateway publishes no datapoint for an hour without requests
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions

  tags = var.tags

  lifecycle {
    precondition {
      condition     = local.rate_hours == null || try(local.rate_hours < var.idle_alarm_hours, true)
      error_message = "The keep-alive runs every ${coalesce(local.rate_hours, 0)} hours, not more often than idle_alarm_hours (${var.idle_alarm_hours}): the idle alarm would fire between two keep-alive requests. Shorten schedule_expression or raise idle_alarm_hours."
    }
  }
}
