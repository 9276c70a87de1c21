output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "service_name" {
  description = "Name of the ECS service."
  value       = local.service.name
}

output "service_id" {
  description = "ID (ARN) of the ECS service."
  value       = local.service.id
}

output "task_definition_arn" {
  description = "ARN (with revision) of the task definition the service runs."
  value       = aws_ecs_task_definition.this.arn
}

output "task_security_group_id" {
  description = "ID of the tasks' security group."
  value       = aws_security_group.tasks.id
}

output "task_execution_role_arn" {
  description = "ARN of the task execution role (image pull, logs)."
  value       = aws_iam_role.execution.arn
}

output "task_role_arn" {
  description = "ARN of the task role (the application's permissions)."
  value       = aws_iam_role.task.arn
}

output "log_group_name" {
  description = "Name of the CloudWatch Logs group of the containers."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the log group (null when it is under CloudWatch Logs' own encryption)."
  value       = local.log_kms_key_create ? aws_kms_key.logs[0].arn : var.log_kms_key_arn
}

output "container_name" {
  description = "Name of the application container."
  value       = var.container_name
}

output "container_port" {
  description = "Port of the application container."
  value       = var.container_port
}

output "container_image" {
  description = "Full image reference (repository:tag) of the application container in the task definition."
  value       = var.container_image
}
