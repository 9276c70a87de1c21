output "rule_name" {
  description = "Name of the EventBridge rule that sends the keep-alive (the RuleName dimension of its AWS/Events metrics)."
  value       = aws_cloudwatch_event_rule.this.name
}

output "rule_arn" {
  description = "ARN of the EventBridge rule."
  value       = aws_cloudwatch_event_rule.this.arn
}

output "api_destination_arn" {
  description = "ARN of the API destination the rule calls."
  value       = aws_cloudwatch_event_api_destination.this.arn
}

output "invocation_endpoint" {
  description = "URL the keep-alive requests."
  value       = local.invocation_endpoint
}

output "schedule_expression" {
  description = "Schedule of the keep-alive."
  value       = aws_cloudwatch_event_rule.this.schedule_expression
}

output "failed_invocations_alarm_name" {
  description = "Name of the CloudWatch alarm on failed keep-alive requests."
  value       = aws_cloudwatch_metric_alarm.failed_invocations.alarm_name
}

output "idle_alarm_name" {
  description = "Name of the CloudWatch alarm on an API without any request (null when disabled)."
  value       = try(aws_cloudwatch_metric_alarm.idle[0].alarm_name, null)
}
