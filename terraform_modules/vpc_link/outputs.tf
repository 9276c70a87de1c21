output "vpc_link_id" {
  description = "ID of the VPC link: the connection_id of the API Gateway private integration."
  value       = aws_apigatewayv2_vpc_link.this.id
}

output "vpc_link_arn" {
  description = "ARN of the VPC link."
  value       = aws_apigatewayv2_vpc_link.this.arn
}

output "security_group_id" {
  description = "ID of the VPC link's security group."
  value       = aws_security_group.this.id
}
