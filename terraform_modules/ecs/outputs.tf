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

output "services" {
  description = "The services of var.services: name => the ECS service's name, its task definition, security group, task role (name and ARN: stacks of what the service uses attach their policies to it), log group, image, and for a routed service its route, target group and listener rule (null for a worker)."
  value = {
    for name in keys(var.services) : name => {
      service_name        = local.service_services[name].name
      task_definition_arn = aws_ecs_task_definition.service[name].arn
      security_group_id   = aws_security_group.service[name].id
      task_role_name      = aws_iam_role.service_task[name].name
      task_role_arn       = aws_iam_role.service_task[name].arn
      log_group_name      = aws_cloudwatch_log_group.service[name].name
      target_group_arn    = try(aws_lb_target_group.service[name].arn, null)
      listener_rule_arn   = try(aws_lb_listener_rule.service[name].arn, null)
      container_image     = var.services[name].image
      route               = var.services[name].route
    }
  }
}

output "service_task_role_names" {
  description = "Task role name of each service of var.services (name => role name), for the stacks that grant a service access to what they own."
  value       = { for name in keys(var.services) : name => aws_iam_role.service_task[name].name }
}
