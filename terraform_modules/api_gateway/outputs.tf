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
  value       = sort(concat(keys(aws_apigatewayv2_route.this), keys(aws_apigatewayv2_route.unauthenticated)))
}

output "authorization_type" {
  description = "Authorization of the routes (NONE, AWS_IAM or JWT); unauthenticated_route_keys excepted."
  value       = var.authorization_type
}

output "authorizer_id" {
  description = "ID of the JWT authorizer (null unless authorization_type is JWT)."
  value       = try(aws_apigatewayv2_authorizer.jwt[0].id, null)
}

output "access_log_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the access log group (null when it is under CloudWatch Logs' own encryption)."
  value       = local.access_log_kms_key_create ? aws_kms_key.access_log[0].arn : var.access_log_kms_key_arn
}

output "access_log_group_name" {
  description = "Name of the CloudWatch Logs group of the access logs."
  value       = aws_cloudwatch_log_group.access.name
}
