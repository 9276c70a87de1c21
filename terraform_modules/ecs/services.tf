# More services in the same cluster (var.services): each as private as the main one. A routed
# service is reached only from the ALB, through a rule of the one listener the VPC link reaches; a
# worker has no ingress at all. Each has its own security group, execution and task roles (least
# privilege: its image, its secrets, its log group) and log group, encrypted with the stack's key.

locals {
  routed_services = { for name, service in var.services : name => service if service.route != null }

  service_ecr_images = {
    for name, service in var.services : name =>
    try(regex("^([0-9]{12})\\.dkr\\.ecr(?:-fips)?\\.([a-z0-9-]+)\\.amazonaws\\.com(?:\\.cn)?/([a-z0-9._/-]+?)(?:[:@].*)?$", service.image), null)
  }

  service_writable_volumes = {
    for name, service in var.services : name => { for path in service.writable_paths : trim(replace(path, "/[^A-Za-z0-9]+/", "-"), "-") => path }
  }

  service_container_definitions = {
    for name, service in var.services : name => { for key, value in {
      name                   = name
      image                  = service.image
      essential              = true
      readonlyRootFilesystem = service.readonly_root_filesystem
      command                = service.command
      portMappings           = [{ containerPort = service.port, protocol = "tcp" }]
      mountPoints = length(local.service_writable_volumes[name]) == 0 ? null : [
        for volume in sort(keys(local.service_writable_volumes[name])) : { sourceVolume = volume, containerPath = local.service_writable_volumes[name][volume], readOnly = false }
      ]
      environment = [for k in sort(keys(service.environment)) : { name = k, value = service.environment[k] }]
      secrets     = length(service.secrets) == 0 ? null : [for k in sort(keys(service.secrets)) : { name = k, valueFrom = service.secrets[k] }]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.service[name].name
          awslogs-region        = local.region
          awslogs-stream-prefix = name
        }
      }
    } : key => value if value != null }
  }

  # Each service's execution role reads exactly its own secrets (as the main service's).
  service_secret_ssm_arns = {
    for name, service in var.services : name => sort(distinct([for arn in values(service.secrets) : arn if split(":", arn)[2] == "ssm"]))
  }
  service_secret_secretsmanager_arns = {
    for name, service in var.services : name => sort(distinct([
      for arn in values(service.secrets) : join(":", slice(split(":", arn), 0, 7)) if split(":", arn)[2] == "secretsmanager"
    ]))
  }

  service_log_group_names = { for name in keys(var.services) : name => "/ecs/${local.cluster_name}/${var.name}-${name}" }
}

resource "aws_cloudwatch_log_group" "service" {
  for_each = var.services

  name              = local.service_log_group_names[each.key]
  retention_in_days = var.log_retention_in_days
  kms_key_id        = local.log_kms_key_create ? aws_kms_key.logs[0].arn : var.log_kms_key_arn

  tags = merge(var.tags, { Service = each.key })
}

# --- IAM: one execution role and one task role per service ----------------------------------------

data "aws_iam_policy_document" "service_execution" {
  for_each = var.services

  statement {
    sid       = "EcrAuthorizationToken"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # this action takes no resource
  }

  dynamic "statement" {
    for_each = local.service_ecr_images[each.key] == null ? [] : [local.service_ecr_images[each.key]]
    content {
      sid       = "EcrPullImage"
      actions   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
      resources = ["arn:${local.partition}:ecr:${statement.value[1]}:${statement.value[0]}:repository/${statement.value[2]}"]
    }
  }

  dynamic "statement" {
    for_each = length(local.service_secret_ssm_arns[each.key]) == 0 ? [] : [local.service_secret_ssm_arns[each.key]]
    content {
      sid       = "ReadOwnParameters"
      actions   = ["ssm:GetParameters"]
      resources = statement.value
    }
  }

  dynamic "statement" {
    for_each = length(local.service_secret_secretsmanager_arns[each.key]) == 0 ? [] : [local.service_secret_secretsmanager_arns[each.key]]
    content {
      sid       = "ReadOwnSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = statement.value
    }
  }

  statement {
    sid       = "WriteOwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.service[each.key].arn}:log-stream:*"]
  }
}

resource "aws_iam_role" "service_execution" {
  for_each = var.services

  name               = "${var.name}-${each.key}-execution"
  description        = "ECS task execution role of ${var.name}'s ${each.key} service: pulls its image, writes its logs"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json

  tags = merge(var.tags, { Service = each.key })
}

resource "aws_iam_role_policy" "service_execution" {
  for_each = var.services

  name   = "pull-image-write-logs"
  role   = aws_iam_role.service_execution[each.key].id
  policy = data.aws_iam_policy_document.service_execution[each.key].json
}

# No permissions: a stack that owns a resource the service uses attaches its policy to this role
# (the queue stack attaches its consumer policy to the worker's).
resource "aws_iam_role" "service_task" {
  for_each = var.services

  name               = "${var.name}-${each.key}-task"
  description        = "Role of ${var.name}'s ${each.key} service; its permissions come from the stacks of what it uses"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json

  tags = merge(var.tags, { Service = each.key })
}

# --- security groups: ingress from the ALB only, and only for a routed service ----------------------

resource "aws_security_group" "service" {
  for_each = var.services

  name_prefix = "${var.name}-${each.key}-"
  description = each.value.route == null ? "Fargate tasks of ${var.name}'s ${each.key} worker: no ingress, egress to the VPC endpoints" : "Fargate tasks of ${var.name}'s ${each.key} service: ingress from the ALB only, egress to the VPC endpoints"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-${each.key}-tasks", Service = each.key })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "service_from_alb" {
  for_each = local.routed_services

  security_group_id            = aws_security_group.service[each.key].id
  description                  = "Application port from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = var.alb_security_group_id

  tags = merge(var.tags, { Name = "${var.name}-${each.key}-from-alb", Service = each.key })
}

resource "aws_vpc_security_group_egress_rule" "alb_to_service" {
  for_each = local.routed_services

  security_group_id            = var.alb_security_group_id
  description                  = "Application port of the ${var.name} ${each.key} tasks"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = aws_security_group.service[each.key].id

  tags = merge(var.tags, { Name = "${var.name}-alb-to-${each.key}", Service = each.key })
}

resource "aws_vpc_security_group_egress_rule" "service_to_vpc_endpoints" {
  for_each = var.services

  security_group_id            = aws_security_group.service[each.key].id
  description                  = "HTTPS to the Interface VPC endpoints (ECR, CloudWatch Logs)"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = var.vpc_endpoint_security_group_id

  tags = merge(var.tags, { Name = "${var.name}-${each.key}-to-vpce", Service = each.key })
}

resource "aws_vpc_security_group_egress_rule" "service_to_s3" {
  for_each = var.services

  security_group_id = aws_security_group.service[each.key].id
  description       = "HTTPS to S3 through the Gateway endpoint (ECR image layers)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = var.s3_prefix_list_id

  tags = merge(var.tags, { Name = "${var.name}-${each.key}-to-s3", Service = each.key })
}

resource "aws_vpc_security_group_egress_rule" "service_to_internet" {
  for_each = var.internet_egress_enabled ? var.services : {}

  security_group_id = aws_security_group.service[each.key].id
  description       = "HTTPS to the internet (through NAT)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"

  tags = merge(var.tags, { Name = "${var.name}-${each.key}-to-internet", Service = each.key })
}

# --- the route: a target group and a rule of the one listener --------------------------------------

resource "aws_lb_target_group" "service" {
  for_each = local.routed_services

  name                 = "${var.name}-${each.key}"
  vpc_id               = var.vpc_id
  target_type          = "ip" # Fargate tasks (awsvpc) register by IP address
  port                 = each.value.port
  protocol             = each.value.protocol
  deregistration_delay = "30"

  health_check {
    enabled             = true
    path                = each.value.health_check.path
    matcher             = each.value.health_check.matcher
    interval            = each.value.health_check.interval
    timeout             = each.value.health_check.timeout
    healthy_threshold   = each.value.health_check.healthy_threshold
    unhealthy_threshold = each.value.health_check.unhealthy_threshold
    port                = "traffic-port"
    protocol            = each.value.protocol
  }

  tags = merge(var.tags, { Name = "${var.name}-${each.key}", Service = each.key })

  lifecycle {
    precondition {
      condition     = length("${var.name}-${each.key}") <= 32
      error_message = "The target group name ${var.name}-${each.key} is longer than 32 characters: shorten the service's name."
    }
  }
}

resource "aws_lb_listener_rule" "service" {
  for_each = local.routed_services

  listener_arn = var.listener_arn
  priority     = each.value.route.priority

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.service[each.key].arn
  }

  dynamic "condition" {
    for_each = each.value.route.path_prefix == null ? [] : [each.value.route.path_prefix]
    content {
      path_pattern {
        values = [condition.value, "${condition.value}/*"]
      }
    }
  }

  # Not host_header: API Gateway does not pass the client's Host on to the listener. The api_gateway
  # stack's integration sets var.forwarded_host_header to the domain the client called.
  dynamic "condition" {
    for_each = each.value.route.host == null ? [] : [each.value.route.host]
    content {
      http_header {
        http_header_name = var.forwarded_host_header
        values           = [condition.value]
      }
    }
  }

  tags = merge(var.tags, { Name = "${var.name}-${each.key}", Service = each.key })
}

# --- task definitions and services ----------------------------------------------------------------

resource "aws_ecs_task_definition" "service" {
  for_each = var.services

  family                   = "${var.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(each.value.cpu)
  memory                   = tostring(each.value.memory)
  execution_role_arn       = aws_iam_role.service_execution[each.key].arn
  task_role_arn            = aws_iam_role.service_task[each.key].arn
  container_definitions    = jsonencode([local.service_container_definitions[each.key]])
  skip_destroy             = true # as the main service's: the previous revision stays for a rollback

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.task_cpu_architecture
  }

  dynamic "volume" {
    for_each = local.service_writable_volumes[each.key]
    content {
      name = volume.key
    }
  }

  tags = merge(var.tags, { Service = each.key })

  lifecycle {
    precondition {
      condition     = var.internet_egress_enabled || local.service_ecr_images[each.key] != null
      error_message = "The ${each.key} service's image ${each.value.image} is not in ECR: without internet egress the tasks reach only the ECR, Logs and S3 endpoints, and the task would fail with CannotPullContainerError."
    }
    precondition {
      condition     = var.internet_egress_enabled || local.service_ecr_images[each.key] == null || try(local.service_ecr_images[each.key][1] == local.region, false)
      error_message = "The ${each.key} service's image is in the ECR of another region than ${local.region}: without internet egress the pull would fail. Replicate the image to ${local.region}."
    }
  }
}

resource "aws_ecs_service" "service_fixed" {
  for_each = { for name, service in var.services : name => service if !service.autoscaling.enabled }

  name                               = "${var.name}-${each.key}"
  cluster                            = aws_ecs_cluster.this.arn
  task_definition                    = aws_ecs_task_definition.service[each.key].arn
  launch_type                        = "FARGATE"
  platform_version                   = var.platform_version
  desired_count                      = each.value.desired_count
  deployment_minimum_healthy_percent = var.deployment_minimum_healthy_percent
  deployment_maximum_percent         = var.deployment_maximum_percent
  health_check_grace_period_seconds  = each.value.route == null ? null : var.health_check_grace_period_seconds
  enable_execute_command             = false
  propagate_tags                     = "SERVICE"

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.service[each.key].id]
    assign_public_ip = false
  }

  dynamic "load_balancer" {
    for_each = each.value.route == null ? [] : [aws_lb_target_group.service[each.key].arn]
    content {
      target_group_arn = load_balancer.value
      container_name   = each.key
      container_port   = each.value.port
    }
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  tags = merge(var.tags, { Service = each.key })

  depends_on = [
    aws_iam_role_policy.service_execution,
    aws_lb_listener_rule.service,
    aws_vpc_security_group_ingress_rule.service_from_alb,
    aws_vpc_security_group_egress_rule.service_to_vpc_endpoints,
    aws_vpc_security_group_egress_rule.service_to_s3,
  ]
}

resource "aws_ecs_service" "service_autoscaled" {
  for_each = { for name, service in var.services : name => service if service.autoscaling.enabled }

  name                               = "${var.name}-${each.key}"
  cluster                            = aws_ecs_cluster.this.arn
  task_definition                    = aws_ecs_task_definition.service[each.key].arn
  launch_type                        = "FARGATE"
  platform_version                   = var.platform_version
  desired_count                      = each.value.desired_count
  deployment_minimum_healthy_percent = var.deployment_minimum_healthy_percent
  deployment_maximum_percent         = var.deployment_maximum_percent
  health_check_grace_period_seconds  = each.value.route == null ? null : var.health_check_grace_period_seconds
  enable_execute_command             = false
  propagate_tags                     = "SERVICE"

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.service[each.key].id]
    assign_public_ip = false
  }

  dynamic "load_balancer" {
    for_each = each.value.route == null ? [] : [aws_lb_target_group.service[each.key].arn]
    content {
      target_group_arn = load_balancer.value
      container_name   = each.key
      container_port   = each.value.port
    }
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  tags = merge(var.tags, { Service = each.key })

  depends_on = [
    aws_iam_role_policy.service_execution,
    aws_lb_listener_rule.service,
    aws_vpc_security_group_ingress_rule.service_from_alb,
    aws_vpc_security_group_egress_rule.service_to_vpc_endpoints,
    aws_vpc_security_group_egress_rule.service_to_s3,
  ]

  lifecycle {
    ignore_changes = [desired_count] # owned by Application Auto Scaling after creation
  }
}

locals {
  service_services = merge(aws_ecs_service.service_fixed, aws_ecs_service.service_autoscaled)
}

resource "aws_appautoscaling_target" "service" {
  for_each = aws_ecs_service.service_autoscaled

  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${each.value.name}"
  min_capacity       = var.services[each.key].autoscaling.min_capacity
  max_capacity       = var.services[each.key].autoscaling.max_capacity

  tags = merge(var.tags, { Service = each.key })
}

resource "aws_appautoscaling_policy" "service" {
  for_each = aws_appautoscaling_target.service

  name               = "${var.name}-${each.key}-cpu-target-tracking"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = each.value.service_namespace
  scalable_dimension = each.value.scalable_dimension
  resource_id        = each.value.resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.services[each.key].autoscaling.cpu_target_percent
    scale_in_cooldown  = var.autoscaling.scale_in_cooldown_seconds
    scale_out_cooldown = var.autoscaling.scale_out_cooldown_seconds

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
