output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_arn" {
  description = "ARN of the VPC."
  value       = aws_vpc.this.arn
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "availability_zones" {
  description = "Availability zones of the private subnets, in the order of private_subnet_ids."
  value       = [for k in sort(keys(aws_subnet.private)) : aws_subnet.private[k].availability_zone]
}

output "private_subnet_ids" {
  description = "IDs of the private subnets, in the order of private_subnet_cidrs."
  value       = [for i in range(length(var.private_subnet_cidrs)) : aws_subnet.private[tostring(i)].id]
}

output "private_subnet_cidr_blocks" {
  description = "IPv4 CIDR blocks of the private subnets."
  value       = [for i in range(length(var.private_subnet_cidrs)) : aws_subnet.private[tostring(i)].cidr_block]
}

output "private_route_table_ids" {
  description = "IDs of the private route tables (one per private subnet), all carrying the S3 Gateway endpoint."
  value       = [for i in range(length(var.private_subnet_cidrs)) : aws_route_table.private[tostring(i)].id]
}

output "public_subnet_ids" {
  description = "IDs of the public subnets (empty unless public_subnet_cidrs is set)."
  value       = [for i in range(length(var.public_subnet_cidrs)) : aws_subnet.public[tostring(i)].id]
}

output "nat_gateway_ids" {
  description = "IDs of the NAT gateways (empty unless nat_gateway_enabled)."
  value       = aws_nat_gateway.this[*].id
}

output "vpc_endpoint_security_group_id" {
  description = "ID of the security group of the Interface endpoints (HTTPS from the VPC CIDR). Tasks open egress 443 to it."
  value       = aws_security_group.vpc_endpoints.id
}

output "vpc_endpoint_ids" {
  description = "IDs of the VPC endpoints by service short name (ecr.api, ecr.dkr, logs, s3, ...)."
  value       = merge({ for k, e in aws_vpc_endpoint.interface : k => e.id }, { s3 = aws_vpc_endpoint.s3.id })
}

output "s3_prefix_list_id" {
  description = "ID of the managed prefix list of S3 in the region (from the Gateway endpoint). Tasks open egress 443 to it to fetch image layers."
  value       = aws_vpc_endpoint.s3.prefix_list_id
}

output "flow_log_group_name" {
  description = "Name of the CloudWatch Logs group of the VPC flow logs (null unless flow_log_enabled)."
  value       = try(aws_cloudwatch_log_group.flow_log[0].name, null)
}

output "flow_log_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the flow log group (null unless flow_log_enabled with a key)."
  value       = var.flow_log_enabled ? (local.flow_log_kms_key_create ? aws_kms_key.flow_log[0].arn : var.flow_log_kms_key_arn) : null
}

output "default_security_group_id" {
  description = "ID of the VPC's default security group, managed without any rule (it admits and sends nothing)."
  value       = aws_default_security_group.this.id
}
