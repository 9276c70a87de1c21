variable "name" {
  description = "Name of the service; also the cluster's name unless cluster_name is set, the task family and the prefix of the roles, log group and security group. Lowercase letters, digits and hyphens."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,22}[a-z0-9]$", var.name))
    error_message = "name must be 2-24 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module (the provider's default_tags come on top)."
  type        = map(string)
  default     = {}
}

variable "cluster_name" {
  description = "Name of the ECS cluster the module creates. Null: the value of name."
  type        = string
  default     = null

  validation {
    condition     = var.cluster_name == null || can(regex("^[a-zA-Z0-9_-]{1,255}$", var.cluster_name))
    error_message = "cluster_name must be 1-255 letters, digits, hyphens or underscores."
  }
}

variable "cluster_container_insights" {
  description = "CloudWatch Container Insights of the cluster: disabled, enabled or enhanced."
  type        = string
  default     = "enabled"

  validation {
    condition     = contains(["disabled", "enabled", "enhanced"], var.cluster_container_insights)
    error_message = "cluster_container_insights must be disabled, enabled or enhanced."
  }
}

# --- inputs from the network and alb stacks -------------------------------------------------------

variable "vpc_id" {
  description = "ID of the VPC of the tasks."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must look like vpc-0123456789abcdef0."
  }
}

variable "private_subnet_ids" {
  description = "IDs of the private subnets the tasks run in (without public IP)."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 1 && alltrue([for s in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "private_subnet_ids must hold at least one subnet ID (subnet-...)."
  }
}

variable "vpc_endpoint_security_group_id" {
  description = "ID of the security group of the Interface VPC endpoints (ecr.api, ecr.dkr, logs); the tasks may send HTTPS to it."
  type        = string

  validation {
    condition     = can(regex("^sg-[0-9a-f]{8,17}$", var.vpc_endpoint_security_group_id))
    error_message = "vpc_endpoint_security_group_id must look like sg-0123456789abcdef0."
  }
}

variable "s3_prefix_list_id" {
  description = "ID of the S3 managed prefix list (from the S3 Gateway endpoint); the tasks may send HTTPS to it to fetch image layers."
  type        = string

  validation {
    condition     = can(regex("^pl-[0-9a-f]{8,17}$", var.s3_prefix_list_id))
    error_message = "s3_prefix_list_id must look like pl-12345678."
  }
}

variable "alb_security_group_id" {
  description = "ID of the load balancer's security group: the only source the tasks admit, and where the module opens egress to the tasks."
  type        = string

  validation {
    condition     = can(regex("^sg-[0-9a-f]{8,17}$", var.alb_security_group_id))
    error_message = "alb_security_group_id must look like sg-0123456789abcdef0."
  }
}

variable "target_group_arn" {
  description = "ARN of the load balancer's target group (type ip) the service registers its tasks with."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:targetgroup/[A-Za-z0-9-]+/[0-9a-f]+$", var.target_group_arn))
    error_message = "target_group_arn must be an ELBv2 target group ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID)."
  }
}

variable "listener_arn" {
  description = "ARN of the load balancer listener that forwards to target_group_arn. ECS refuses a target group that no listener uses, so the service is only created once the listener exists."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener/app/[A-Za-z0-9-]+/[0-9a-f]+/[0-9a-f]+$", var.listener_arn))
    error_message = "listener_arn must be an Application Load Balancer listener ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener/app/NAME/ID/ID)."
  }
}

# --- the container --------------------------------------------------------------------------------

variable "container_name" {
  description = "Name of the application container in the task definition."
  type        = string
  default     = "app"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,255}$", var.container_name))
    error_message = "container_name must be 1-255 letters, digits, hyphens or underscores."
  }
}

variable "container_image" {
  description = "Image of the application container. Without internet egress (the default) it must be in a private ECR repository of the stack's region (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG or @sha256:...), the only registry the VPC endpoints reach."
  type        = string

  validation {
    condition     = length(trimspace(var.container_image)) > 0 && !can(regex("\\s", var.container_image))
    error_message = "container_image must be a non-empty image reference without spaces."
  }
}

variable "container_port" {
  description = "Port the container listens on; the load balancer sends traffic and health checks to it."
  type        = number
  default     = 8080

  validation {
    condition     = var.container_port >= 1 && var.container_port <= 65535 && floor(var.container_port) == var.container_port
    error_message = "container_port must be an integer between 1 and 65535."
  }
}

variable "container_environment" {
  description = "Environment variables of the container (plain values; no secrets)."
  type        = map(string)
  default     = {}
}

variable "container_secrets" {
  description = "Secret environment variables of the container: name => ARN of an SSM parameter or a Secrets Manager secret (optionally with :json-key:stage:version). ECS reads them at task start; their values never pass through Terraform, and the execution role may read exactly these. Without NAT the network needs the ssm and/or secretsmanager interface endpoints."
  type        = map(string)
  default     = {}

  validation {
    condition = alltrue([
      for name, arn in var.container_secrets :
      can(regex("^[A-Za-z_][A-Za-z0-9_]*$", name)) && can(regex("^arn:aws[a-z-]*:(ssm:[a-z0-9-]+:[0-9]{12}:parameter/.+|secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+)$", arn))
    ])
    error_message = "container_secrets maps environment variable names to ARNs of SSM parameters (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME) or Secrets Manager secrets (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)."
  }

  validation {
    condition     = length(setintersection(keys(var.container_secrets), keys(var.container_environment))) == 0
    error_message = "A variable cannot be both in container_environment and container_secrets."
  }
}

variable "container_command" {
  description = "Command of the container, overriding the image's CMD. Null: the image's."
  type        = list(string)
  default     = null
}

variable "container_readonly_root_filesystem" {
  description = "Mount the container's root filesystem read-only, so that a compromised process cannot change the image's programs or configuration; the application writes only to container_writable_paths."
  type        = bool
  default     = true
}

variable "container_writable_paths" {
  description = "Directories the application may write to, each a volume of its own on the task's ephemeral storage (emptied when the task stops), mounted read-write over the read-only root filesystem. /tmp by default: most runtimes need it."
  type        = list(string)
  default     = ["/tmp"]

  validation {
    condition     = alltrue([for path in var.container_writable_paths : can(regex("^(/[A-Za-z0-9._-]+)+$", path)) && !contains(["/", "/proc", "/sys", "/dev"], path)])
    error_message = "container_writable_paths must be absolute directory paths such as /tmp or /var/cache/app (letters, digits, '.', '_', '-'), not /, /proc, /sys or /dev."
  }

  validation {
    condition     = length(distinct([for path in var.container_writable_paths : trim(replace(path, "/[^A-Za-z0-9]+/", "-"), "-")])) == length(var.container_writable_paths)
    error_message = "container_writable_paths must not repeat a path, nor hold two paths that differ only in punctuation (each becomes a volume named after it, /var/cache -> var-cache)."
  }
}

variable "task_size" {
  description = "CPU units and memory (MiB) of a task: a combination Fargate accepts (256/512-2048, 512/1024-4096, 1024/2048-8192, 2048/4096-16384, 4096/8192-30720 in 1024 steps; 8192/16384-61440 in 4096 steps; 16384/32768-122880 in 8192 steps)."
  type = object({
    cpu    = optional(number, 256)
    memory = optional(number, 512)
  })
  default = {}

  validation {
    condition = (
      var.task_size.cpu == 256 ? contains([512, 1024, 2048], var.task_size.memory) :
      var.task_size.cpu == 512 ? var.task_size.memory >= 1024 && var.task_size.memory <= 4096 && var.task_size.memory % 1024 == 0 :
      var.task_size.cpu == 1024 ? var.task_size.memory >= 2048 && var.task_size.memory <= 8192 && var.task_size.memory % 1024 == 0 :
      var.task_size.cpu == 2048 ? var.task_size.memory >= 4096 && var.task_size.memory <= 16384 && var.task_size.memory % 1024 == 0 :
      var.task_size.cpu == 4096 ? var.task_size.memory >= 8192 && var.task_size.memory <= 30720 && var.task_size.memory % 1024 == 0 :
      var.task_size.cpu == 8192 ? var.task_size.memory >= 16384 && var.task_size.memory <= 61440 && var.task_size.memory % 4096 == 0 :
      var.task_size.cpu == 16384 ? var.task_size.memory >= 32768 && var.task_size.memory <= 122880 && var.task_size.memory % 8192 == 0 :
      false
    )
    error_message = "task_size is not a Fargate combination. Valid: cpu 256 with memory 512, 1024 or 2048; cpu 512 with 1024-4096; cpu 1024 with 2048-8192; cpu 2048 with 4096-16384; cpu 4096 with 8192-30720 (1024 steps); cpu 8192 with 16384-61440 (4096 steps); cpu 16384 with 32768-122880 (8192 steps)."
  }
}

variable "task_cpu_architecture" {
  description = "CPU architecture of the task: X86_64 or ARM64 (the image must be built for it)."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.task_cpu_architecture)
    error_message = "task_cpu_architecture must be X86_64 or ARM64."
  }
}

variable "task_role_policy_json" {
  description = "IAM policy document (JSON) granted to the application through the task role. Null: the task role has no permissions."
  type        = string
  default     = null

  validation {
    condition     = var.task_role_policy_json == null || can(jsondecode(var.task_role_policy_json))
    error_message = "task_role_policy_json must be a JSON policy document."
  }
}

variable "log_retention_in_days" {
  description = "How many days the container log group keeps its events (a year by default, what most audit baselines ask)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be one of the values CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "log_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the container log group (its key policy must let CloudWatch Logs use it). Null: see log_kms_key_create."
  type        = string
  default     = null

  validation {
    condition     = var.log_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]+$", var.log_kms_key_arn))
    error_message = "log_kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)."
  }
}

variable "log_kms_key_create" {
  description = "With log_kms_key_arn null: encrypt the container log group with a customer managed key the module creates for it alone (rotated yearly, about 1 USD a month). False leaves the group under CloudWatch Logs' own encryption, with no key policy to say who may decrypt."
  type        = bool
  default     = true
}

# --- the service ----------------------------------------------------------------------------------

variable "desired_count" {
  description = "Number of tasks. With autoscaling: the initial number only (Application Auto Scaling owns it afterwards), between the autoscaling bounds."
  type        = number
  default     = 2

  validation {
    condition     = var.desired_count >= 0 && floor(var.desired_count) == var.desired_count
    error_message = "desired_count must be a non-negative integer."
  }
}

variable "deployment_minimum_healthy_percent" {
  description = "Lower bound of running tasks during a deployment, in percent of desired_count."
  type        = number
  default     = 100

  validation {
    condition     = var.deployment_minimum_healthy_percent >= 0 && var.deployment_minimum_healthy_percent <= 100
    error_message = "deployment_minimum_healthy_percent must be between 0 and 100."
  }
}

variable "deployment_maximum_percent" {
  description = "Upper bound of running tasks during a deployment, in percent of desired_count."
  type        = number
  default     = 200

  validation {
    condition     = var.deployment_maximum_percent >= 100 && var.deployment_maximum_percent <= 200
    error_message = "deployment_maximum_percent must be between 100 and 200."
  }
}

variable "health_check_grace_period_seconds" {
  description = "Seconds ECS ignores failing load balancer health checks of a new task (time for the application to start)."
  type        = number
  default     = 60

  validation {
    condition     = var.health_check_grace_period_seconds >= 0 && var.health_check_grace_period_seconds <= 2147483647
    error_message = "health_check_grace_period_seconds must be non-negative."
  }
}

variable "platform_version" {
  description = "Fargate platform version: LATEST or 1.4.0."
  type        = string
  default     = "LATEST"

  validation {
    condition     = can(regex("^(LATEST|1\\.4\\.0)$", var.platform_version))
    error_message = "platform_version must be LATEST or 1.4.0, the Linux platform version this module and the network module's VPC endpoints (ecr.api, ecr.dkr, logs, s3) are written for."
  }
}

variable "internet_egress_enabled" {
  description = "Let the tasks open HTTPS connections to any address (needs NAT gateways in the network). Off by default: the tasks reach only the VPC endpoints, and the image must come from ECR in the same region."
  type        = bool
  default     = false
}

variable "autoscaling" {
  description = "Target-tracking autoscaling of the task count on average CPU (and optionally memory) utilisation."
  type = object({
    enabled                    = optional(bool, false)
    min_capacity               = optional(number, 1)
    max_capacity               = optional(number, 4)
    cpu_target_percent         = optional(number, 60)
    memory_target_percent      = optional(number, null)
    scale_in_cooldown_seconds  = optional(number, 300)
    scale_out_cooldown_seconds = optional(number, 60)
  })
  default = {}

  validation {
    condition     = var.autoscaling.min_capacity >= 0 && var.autoscaling.max_capacity >= 1 && var.autoscaling.min_capacity <= var.autoscaling.max_capacity
    error_message = "autoscaling needs 0 <= min_capacity <= max_capacity and max_capacity >= 1."
  }

  validation {
    condition     = var.autoscaling.cpu_target_percent > 0 && var.autoscaling.cpu_target_percent <= 100 && (var.autoscaling.memory_target_percent == null || try(var.autoscaling.memory_target_percent > 0 && var.autoscaling.memory_target_percent <= 100, false))
    error_message = "autoscaling.cpu_target_percent (and memory_target_percent when set) must be between 1 and 100."
  }
}

# --- more services in the same cluster ------------------------------------------------------------

variable "services" {
  description = "Services beside the main one, in the same cluster and private subnets, each with its own image, size, count, environment and secrets, security group, roles and log group: name => settings. A service with a route gets a target group and a rule on the ALB's listener (a path prefix, or a host, at the rule's priority), so the HTTP API's VPC link reaches it through the one listener; a service without a route is a worker that nothing can reach (no ingress at all)."
  type = map(object({
    image                    = string
    port                     = optional(number, 8080)
    protocol                 = optional(string, "HTTP")
    cpu                      = optional(number, 256)
    memory                   = optional(number, 512)
    desired_count            = optional(number, 1)
    environment              = optional(map(string), {})
    secrets                  = optional(map(string), {})
    command                  = optional(list(string))
    readonly_root_filesystem = optional(bool, true)
    writable_paths           = optional(list(string), ["/tmp"])
    route = optional(object({
      path_prefix = optional(string)
      host        = optional(string)
      priority    = number
    }))
    health_check = optional(object({
      path                = optional(string, "/")
      matcher             = optional(string, "200-399")
      interval            = optional(number, 30)
      timeout             = optional(number, 5)
      healthy_threshold   = optional(number, 3)
      unhealthy_threshold = optional(number, 3)
    }), {})
    autoscaling = optional(object({
      enabled            = optional(bool, false)
      min_capacity       = optional(number, 1)
      max_capacity       = optional(number, 4)
      cpu_target_percent = optional(number, 60)
    }), {})
  }))
  default = {}

  validation {
    condition     = alltrue([for name, service in var.services : can(regex("^[a-z][a-z0-9-]{0,19}$", name))])
    error_message = "services' names must be 1-20 lowercase letters, digits and hyphens, starting with a letter."
  }

  validation {
    condition = alltrue([for service in var.services : service.route == null || try(
      (service.route.path_prefix == null) != (service.route.host == null) && service.route.priority >= 1 && service.route.priority <= 50000 && floor(service.route.priority) == service.route.priority,
    false)])
    error_message = "A service's route needs exactly one of path_prefix and host, and an integer priority between 1 and 50000."
  }

  validation {
    condition     = alltrue([for service in var.services : service.route == null || try(service.route.path_prefix == null || can(regex("^(/[A-Za-z0-9._~-]+)+$", service.route.path_prefix)), false)])
    error_message = "A route's path_prefix is an absolute path without a trailing slash or wildcards, such as /orders or /api/v2."
  }

  validation {
    condition     = length(distinct([for service in var.services : service.route.priority if service.route != null])) == length([for service in var.services : service.route.priority if service.route != null])
    error_message = "Two services' routes have the same priority: each rule of the listener needs its own."
  }

  validation {
    condition     = alltrue([for service in var.services : length(trimspace(service.image)) > 0 && !can(regex("\\s", service.image))])
    error_message = "A service's image must be a non-empty image reference without spaces."
  }

  validation {
    condition     = alltrue([for service in var.services : service.port >= 1 && service.port <= 65535 && contains(["HTTP", "HTTPS"], service.protocol) && service.desired_count >= 0])
    error_message = "A service's port must be between 1 and 65535, its protocol (from the ALB to its tasks) HTTP or HTTPS, and its desired_count at least 0."
  }

  validation {
    condition = alltrue([for service in var.services : alltrue([
      for name, arn in service.secrets :
      can(regex("^[A-Za-z_][A-Za-z0-9_]*$", name)) && can(regex("^arn:aws[a-z-]*:(ssm:[a-z0-9-]+:[0-9]{12}:parameter/.+|secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+)$", arn))
    ])])
    error_message = "A service's secrets map environment variable names to ARNs of SSM parameters or Secrets Manager secrets."
  }

  validation {
    condition     = alltrue([for service in var.services : alltrue([for path in service.writable_paths : can(regex("^(/[A-Za-z0-9._-]+)+$", path)) && !contains(["/", "/proc", "/sys", "/dev"], path)])])
    error_message = "A service's writable_paths must be absolute directory paths such as /tmp, not /, /proc, /sys or /dev."
  }

  validation {
    condition = alltrue([for service in var.services : service.autoscaling.min_capacity >= 0 && service.autoscaling.min_capacity <= service.autoscaling.max_capacity && (
      !service.autoscaling.enabled || (service.desired_count >= service.autoscaling.min_capacity && service.desired_count <= service.autoscaling.max_capacity)
    )])
    error_message = "A service's autoscaling needs 0 <= min_capacity <= max_capacity, and with autoscaling on its desired_count between them."
  }
}

variable "forwarded_host_header" {
  description = "The request header a service's host route matches: API Gateway does not pass the client's Host on to the listener, so the api_gateway stack's integration sets this header to the domain the client called (its forwarded_host_header)."
  type        = string
  default     = "x-api-host"

  validation {
    condition     = can(regex("^x-[a-z0-9-]{1,60}$", var.forwarded_host_header)) && !can(regex("^x-(amz|amzn|forwarded)-", var.forwarded_host_header))
    error_message = "forwarded_host_header must be a lowercase x-... header name that API Gateway does not reserve (not x-amz-*, x-amzn-* or x-forwarded-*)."
  }
}
