output "api_id" {
  description = "ID of the HTTP API (the ApiId dimension of its CloudWatch metrics)."
  value       = aws_apigatewayv2_api.this.id
}

output "api_arn" {
  description = "ARN of the HTTP API."
  value       = aws_apigatewayv2_api.this.arn
}

output "api_endpoint" {
  description = "Public HTTPS endpoint of the API (https://ID.execute-api.REGION.amazonaws.com); the $default stage serves it without a path prefix."
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "execution_arn" {
  description = "Execution ARN of the API, for IAM policies."
  value       = aws_apigatewayv2_api.this.execution_arn
}

output "stage_invoke_url" {
  description = "Invoke URL of the $default stage."
  value       = aws_apigatewayv2_stage.this.invoke_url
}

output "integration_id" {
  description = "ID of the private integration."
  value       = aws_apigatewayv2_integration.this.id
}

output "route_keys" {
  description = "Route keys of the API, all targeting the private integration."
  value       = sort(keys(aws_apigatewayv2_route.this))
}

output "access_log_group_name" {
  description = "Name of the CloudWatch Logs group of the access logs."
  value       = aws_cloudwatch_log_group.access.name
}
