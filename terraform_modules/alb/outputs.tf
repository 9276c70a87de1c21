output "alb_arn" {
  description = "ARN of the load balancer."
  value       = aws_lb.this.arn
}

output "alb_arn_suffix" {
  description = "ARN suffix of the load balancer, for CloudWatch metric dimensions."
  value       = aws_lb.this.arn_suffix
}

output "alb_dns_name" {
  description = "Private DNS name of the internal load balancer (resolvable inside the VPC only)."
  value       = aws_lb.this.dns_name
}

output "alb_internal" {
  description = "Whether the load balancer is internal (always true)."
  value       = aws_lb.this.internal
}

output "listener_arn" {
  description = "ARN of the listener: the integration URI of the API Gateway private integration."
  value       = aws_lb_listener.this.arn
}

output "listener_port" {
  description = "Port of the listener, which the VPC link's security group may reach."
  value       = aws_lb_listener.this.port
}

output "listener_protocol" {
  description = "Protocol of the listener (HTTP or HTTPS)."
  value       = aws_lb_listener.this.protocol
}

output "target_group_arn" {
  description = "ARN of the target group (type ip) the ECS service registers its tasks with."
  value       = aws_lb_target_group.this.arn
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the target group, for CloudWatch metric dimensions."
  value       = aws_lb_target_group.this.arn_suffix
}

output "target_port" {
  description = "Port the targets listen on."
  value       = aws_lb_target_group.this.port
}

output "security_group_id" {
  description = "ID of the load balancer's security group (created without rules; vpc_link adds the ingress, ecs the egress)."
  value       = aws_security_group.this.id
}

output "access_logs_bucket" {
  description = "S3 bucket of the access logs (null when they are off)."
  value       = var.access_logs.enabled ? local.access_logs_bucket : null
}

output "deletion_protection_enabled" {
  description = "Whether the load balancer is protected against deletion."
  value       = aws_lb.this.enable_deletion_protection
}
