# ECS Fargate service in private subnets, behind the internal ALB, without any public IP.
# The tasks admit traffic from the load balancer only and talk to the VPC endpoints only.

data "aws_region" "current" {}

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

locals {
  region       = data.aws_region.current.region
  partition    = data.aws_partition.current.partition
  account_id   = data.aws_caller_identity.current.account_id
  cluster_name = coalesce(var.cluster_name, var.name)

  # ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn]/REPOSITORY[:TAG|@DIGEST]
  ecr_image = try(regex("^([0-9]{12})\\.dkr\\.ecr(?:-fips)?\\.([a-z0-9-]+)\\.amazonaws\\.com(?:\\.cn)?/([a-z0-9._/-]+?)(?:[:@].*)?$", var.container_image), null)
  ecr_repository_arn = (
    local.ecr_image == null ? null :
    "arn:${local.partition}:ecr:${local.ecr_image[1]}:${local.ecr_image[0]}:repository/${local.ecr_image[2]}"
  )

  listener_region = split(":", var.listener_arn)[3]

  # With a read-only root filesystem, each writable path is a task volume of its own (on the task's
  # ephemeral storage, gone with the task): /tmp -> "tmp", /var/cache/app -> "var-cache-app".
  writable_volumes = { for path in var.container_writable_paths : trim(replace(path, "/[^A-Za-z0-9]+/", "-"), "-") => path }

  # Secrets reach the container from SSM or Secrets Manager at task start (valueFrom): their values
  # never pass through Terraform. The execution role may read exactly these and nothing else.
  secret_ssm_arns = sort(distinct([for arn in values(var.container_secrets) : arn if split(":", arn)[2] == "ssm"]))
  secret_secretsmanager_arns = sort(distinct([
    # A secret's ARN may name a JSON key and version after the secret itself (arn:...:secret:NAME:KEY:STAGE:VERSION).
    for arn in values(var.container_secrets) : join(":", slice(split(":", arn), 0, 7)) if split(":", arn)[2] == "secretsmanager"
  ]))

  # Null fields (an unset command) are left out: ECS would echo them back as a perpetual diff.
  container_definition_fields = {
    name                   = var.container_name
    image                  = var.container_image
    essential              = true
    readonlyRootFilesystem = var.container_readonly_root_filesystem
    command                = var.container_command
    portMappings = [{
      containerPort = var.container_port
      protocol      = "tcp"
    }]
    mountPoints = length(local.writable_volumes) == 0 ? null : [
      for name in sort(keys(local.writable_volumes)) : { sourceVolume = name, containerPath = local.writable_volumes[name], readOnly = false }
    ]
    environment = [for k in sort(keys(var.container_environment)) : { name = k, value = var.container_environment[k] }]
    secrets     = length(var.container_secrets) == 0 ? null : [for k in sort(keys(var.container_secrets)) : { name = k, valueFrom = var.container_secrets[k] }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = local.region
        awslogs-stream-prefix = var.container_name
      }
    }
  }
  container_definition = { for k, v in local.container_definition_fields : k => v if v != null }
}

# --- logs -----------------------------------------------------------------------------------------

locals {
  log_group_name     = "/ecs/${local.cluster_name}/${var.name}"
  log_kms_key_create = var.log_kms_key_arn == null && var.log_kms_key_create

  # The key encrypts the main log group and those of var.services: one ARN alone (as the key policy
  # has always read without more services), or the list of them.
  log_kms_key_log_group_arns = [
    for group in concat([local.log_group_name], [for name in sort(keys(var.services)) : local.service_log_group_names[name]]) :
    "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${group}"
  ]
  log_kms_key_log_groups = jsondecode(length(local.log_kms_key_log_group_arns) == 1 ? jsonencode(local.log_kms_key_log_group_arns[0]) : jsonencode(local.log_kms_key_log_group_arns))
}

# A customer managed key for the container log group alone, rotated every year. Its key policy
# (written inline: it is a key policy, where Resource "*" means this key, not an IAM policy) is AWS's
# default, which lets the account's IAM policies govern the key, plus CloudWatch Logs for this log
# group only. The tasks need no KMS permission: CloudWatch Logs encrypts what they send.
resource "aws_kms_key" "logs" {
  count = local.log_kms_key_create ? 1 : 0

  description             = "Encrypts the ECS log group ${local.log_group_name}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountManagesTheKeyThroughIam"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogsEncryptsThisLogGroup"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.${data.aws_partition.current.dns_suffix}" }
        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnEquals = { "kms:EncryptionContext:aws:logs:arn" = local.log_kms_key_log_groups }
        }
      },
    ]
  })

  tags = merge(var.tags, { Name = "${var.name}-ecs-logs" })
}

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_in_days
  kms_key_id        = local.log_kms_key_create ? aws_kms_key.logs[0].arn : var.log_kms_key_arn

  tags = var.tags
}

# --- IAM: the execution role pulls the image and writes logs; the task role is the application's ---

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "EcrAuthorizationToken"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # this action takes no resource
  }

  dynamic "statement" {
    for_each = local.ecr_repository_arn == null ? [] : [local.ecr_repository_arn]
    content {
      sid       = "EcrPullImage"
      actions   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = length(local.secret_ssm_arns) == 0 ? [] : [local.secret_ssm_arns]
    content {
      sid       = "ReadOwnParameters"
      actions   = ["ssm:GetParameters"]
      resources = statement.value
    }
  }

  dynamic "statement" {
    for_each = length(local.secret_secretsmanager_arns) == 0 ? [] : [local.secret_secretsmanager_arns]
    content {
      sid       = "ReadOwnSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = statement.value
    }
  }

  statement {
    sid       = "WriteOwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:log-stream:*"]
  }
}

resource "aws_iam_role" "execution" {
  name               = "${var.name}-ecs-execution"
  description        = "ECS task execution role of ${var.name}: pulls its image, writes its logs"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy" "execution" {
  name   = "pull-image-write-logs"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

resource "aws_iam_role" "task" {
  name               = "${var.name}-ecs-task"
  description        = "Role of the ${var.name} application; no permissions unless task_role_policy_json is set"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy" "task" {
  count = var.task_role_policy_json == null ? 0 : 1

  name   = "application"
  role   = aws_iam_role.task.id
  policy = var.task_role_policy_json
}

# --- security group of the tasks, and the ALB's egress towards them --------------------------------

resource "aws_security_group" "tasks" {
  name_prefix = "${var.name}-tasks-"
  description = "Fargate tasks of ${var.name}: ingress from the ALB only, egress to the VPC endpoints"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-tasks" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_alb" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "Application port from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = var.alb_security_group_id

  tags = merge(var.tags, { Name = "${var.name}-tasks-from-alb" })
}

resource "aws_vpc_security_group_egress_rule" "alb_to_tasks" {
  security_group_id            = var.alb_security_group_id
  description                  = "Application port of the ${var.name} tasks"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = aws_security_group.tasks.id

  tags = merge(var.tags, { Name = "${var.name}-alb-to-tasks" })
}

resource "aws_vpc_security_group_egress_rule" "tasks_to_vpc_endpoints" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "HTTPS to the Interface VPC endpoints (ECR, CloudWatch Logs)"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = var.vpc_endpoint_security_group_id

  tags = merge(var.tags, { Name = "${var.name}-tasks-to-vpce" })
}

resource "aws_vpc_security_group_egress_rule" "tasks_to_s3" {
  security_group_id = aws_security_group.tasks.id
  description       = "HTTPS to S3 through the Gateway endpoint (ECR image layers)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = var.s3_prefix_list_id

  tags = merge(var.tags, { Name = "${var.name}-tasks-to-s3" })
}

resource "aws_vpc_security_group_egress_rule" "tasks_to_internet" {
  count = var.internet_egress_enabled ? 1 : 0

  security_group_id = aws_security_group.tasks.id
  description       = "HTTPS to the internet (through NAT)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"

  tags = merge(var.tags, { Name = "${var.name}-tasks-to-internet" })
}

# --- cluster, task definition, service ------------------------------------------------------------

resource "aws_ecs_cluster" "this" {
  name = local.cluster_name

  setting {
    name  = "containerInsights"
    value = var.cluster_container_insights
  }

  tags = var.tags
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.task_size.cpu)
  memory                   = tostring(var.task_size.memory)
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions    = jsonencode([local.container_definition])
  # Every image bump registers a new revision (a replacement in the plan). The previous one stays
  # registered instead of being deregistered, so that a rollback can run it again; the orchestrator
  # treats this replacement as a routine new revision, not a loss (orchestrator/run/replacements.py).
  # Destroying the stack leaves the revisions registered too (they cost nothing).
  skip_destroy = true

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.task_cpu_architecture
  }

  dynamic "volume" {
    for_each = local.writable_volumes
    content {
      name = volume.key
    }
  }

  tags = var.tags

  # ECS rejects a service whose target group no listener forwards to. The listener lives in the alb
  # stack, which the stack DAG applies before this one; listener_arn is a required input so that the
  # ordering is explicit, and it is checked against the target group here, before the service.
  lifecycle {
    precondition {
      condition     = split(":", var.target_group_arn)[3] == local.listener_region && split(":", var.target_group_arn)[4] == split(":", var.listener_arn)[4]
      error_message = "target_group_arn and listener_arn belong to different regions or accounts: the listener must be the one forwarding to the target group."
    }
    precondition {
      condition     = !var.autoscaling.enabled || (var.desired_count >= var.autoscaling.min_capacity && var.desired_count <= var.autoscaling.max_capacity)
      error_message = "desired_count (${var.desired_count}) must lie between autoscaling.min_capacity and autoscaling.max_capacity."
    }
    precondition {
      condition     = var.internet_egress_enabled || local.ecr_image != null
      error_message = "container_image ${var.container_image} is not in ECR: without internet egress the tasks reach only the ECR, Logs and S3 endpoints, and the task would fail with CannotPullContainerError. Push the image to ECR (or use an ECR pull-through cache), or set internet_egress_enabled with NAT gateways in the network."
    }
    precondition {
      # Only for an ECR image: the precondition above speaks of any other.
      condition     = var.internet_egress_enabled || local.ecr_image == null || try(local.ecr_image[1] == local.region, false)
      error_message = "container_image is in the ECR of region ${try(local.ecr_image[1], "")}, but the VPC endpoints reach only the ECR of ${local.region}: without internet egress the pull would fail. Replicate the image to ${local.region}."
    }
  }
}

# Two variants of one service, exactly one of which exists: without autoscaling Terraform owns
# desired_count; with autoscaling it sets it at creation only, so that an apply never resets a
# scaled-out service (lifecycle arguments cannot depend on a variable). Switching autoscaling on or
# off therefore replaces the service.
resource "aws_ecs_service" "fixed" {
  count = var.autoscaling.enabled ? 0 : 1

  name                               = var.name
  cluster                            = aws_ecs_cluster.this.arn
  task_definition                    = aws_ecs_task_definition.this.arn
  launch_type                        = "FARGATE"
  platform_version                   = var.platform_version
  desired_count                      = var.desired_count
  deployment_minimum_healthy_percent = var.deployment_minimum_healthy_percent
  deployment_maximum_percent         = var.deployment_maximum_percent
  health_check_grace_period_seconds  = var.health_check_grace_period_seconds
  enable_execute_command             = false
  propagate_tags                     = "SERVICE"

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = var.target_group_arn
    container_name   = var.container_name
    container_port   = var.container_port
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  tags = var.tags

  depends_on = [
    aws_iam_role_policy.execution,
    aws_vpc_security_group_ingress_rule.tasks_from_alb,
    aws_vpc_security_group_egress_rule.tasks_to_vpc_endpoints,
    aws_vpc_security_group_egress_rule.tasks_to_s3,
  ]
}

resource "aws_ecs_service" "autoscaled" {
  count = var.autoscaling.enabled ? 1 : 0

  name                               = var.name
  cluster                            = aws_ecs_cluster.this.arn
  task_definition                    = aws_ecs_task_definition.this.arn
  launch_type                        = "FARGATE"
  platform_version                   = var.platform_version
  desired_count                      = var.desired_count
  deployment_minimum_healthy_percent = var.deployment_minimum_healthy_percent
  deployment_maximum_percent         = var.deployment_maximum_percent
  health_check_grace_period_seconds  = var.health_check_grace_period_seconds
  enable_execute_command             = false
  propagate_tags                     = "SERVICE"

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = var.target_group_arn
    container_name   = var.container_name
    container_port   = var.container_port
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  tags = var.tags

  depends_on = [
    aws_iam_role_policy.execution,
    aws_vpc_security_group_ingress_rule.tasks_from_alb,
    aws_vpc_security_group_egress_rule.tasks_to_vpc_endpoints,
    aws_vpc_security_group_egress_rule.tasks_to_s3,
  ]

  lifecycle {
    ignore_changes = [desired_count] # owned by Application Auto Scaling after creation
  }
}

locals {
  service = one(concat(aws_ecs_service.fixed, aws_ecs_service.autoscaled))
}

# --- optional autoscaling -------------------------------------------------------------------------

resource "aws_appautoscaling_target" "this" {
  count = var.autoscaling.enabled ? 1 : 0

  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${local.service.name}"
  min_capacity       = var.autoscaling.min_capacity
  max_capacity       = var.autoscaling.max_capacity

  tags = var.tags
}

resource "aws_appautoscaling_policy" "this" {
  for_each = var.autoscaling.enabled ? merge(
    { cpu = { metric = "ECSServiceAverageCPUUtilization", target = var.autoscaling.cpu_target_percent } },
    var.autoscaling.memory_target_percent == null ? {} : { memory = { metric = "ECSServiceAverageMemoryUtilization", target = var.autoscaling.memory_target_percent } },
  ) : {}

  name               = "${var.name}-${each.key}-target-tracking"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension
  resource_id        = aws_appautoscaling_target.this[0].resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = each.value.target
    scale_in_cooldown  = var.autoscaling.scale_in_cooldown_seconds
    scale_out_cooldown = var.autoscaling.scale_out_cooldown_seconds

    predefined_metric_specification {
      predefined_metric_type = each.value.metric
    }
  }
}
