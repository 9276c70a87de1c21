variable "name" {
  description = "Name of the load balancer (the target group is <name>-tg, the security group <name>-alb-*). Lowercase letters, digits and hyphens."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,22}[a-z0-9]$", var.name)) && !startswith(var.name, "internal-")
    error_message = "name must be 2-24 characters of lowercase letters, digits and hyphens, start with a letter, not end with a hyphen and not start with \"internal-\" (AWS load balancer naming rules)."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module (the provider's default_tags come on top)."
  type        = map(string)
  default     = {}
}

variable "vpc_id" {
  description = "ID of the VPC of the load balancer and its target group."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must look like vpc-0123456789abcdef0."
  }
}

variable "private_subnet_ids" {
  description = "IDs of the private subnets the load balancer lives in (at least two availability zones)."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 2 && alltrue([for s in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "private_subnet_ids must hold at least two subnet IDs (subnet-...): an Application Load Balancer needs subnets in two availability zones."
  }
}

variable "internal" {
  description = "Whether the load balancer is internal. Must stay true: an API Gateway HTTP API private integration (VPC link) reaches only an internal ALB."
  type        = bool
  default     = true

  validation {
    condition     = var.internal
    error_message = "internal = false is refused: an HTTP API VPC link cannot reach an internet-facing ALB; requests would get {\"message\":\"Service Unavailable\"} (503) from API Gateway and never reach the load balancer. Keep the ALB internal and expose the application through API Gateway."
  }
}

variable "listener_protocol" {
  description = "Protocol of the listener the VPC link connects to: HTTPS (the default) with listener_certificate_arn, so that requests stay encrypted up to the load balancer; or HTTP, plain text between API Gateway and the ALB inside the VPC."
  type        = string
  default     = "HTTPS"

  validation {
    condition     = contains(["HTTP", "HTTPS"], var.listener_protocol)
    error_message = "listener_protocol must be HTTP or HTTPS."
  }
}

variable "listener_port" {
  description = "Port of the listener the VPC link connects to. Null: 443 for HTTPS, 80 for HTTP."
  type        = number
  default     = null

  validation {
    condition     = var.listener_port == null || try(var.listener_port >= 1 && var.listener_port <= 65535 && floor(var.listener_port) == var.listener_port, false)
    error_message = "listener_port must be an integer between 1 and 65535."
  }
}

variable "listener_certificate_arn" {
  description = "ARN of the ACM certificate of an HTTPS listener (required when listener_protocol is HTTPS, ignored otherwise)."
  type        = string
  default     = null

  validation {
    condition     = var.listener_certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+$", var.listener_certificate_arn))
    error_message = "listener_certificate_arn must be an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)."
  }
}

variable "listener_ssl_policy" {
  description = "TLS policy of an HTTPS listener: TLS 1.3 and 1.2 with forward-secret ciphers by default. Only policies without TLS 1.0 and 1.1 are accepted."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"

  validation {
    condition     = can(regex("^ELBSecurityPolicy-(TLS13-1-[23]-|TLS-1-2-|FS-1-2-)", var.listener_ssl_policy))
    error_message = "listener_ssl_policy must be an ELB security policy without TLS 1.0 and 1.1: ELBSecurityPolicy-TLS13-1-2-2021-06 (the default), another ELBSecurityPolicy-TLS13-1-2-* or -1-3-*, ELBSecurityPolicy-TLS-1-2-* or ELBSecurityPolicy-FS-1-2-*."
  }
}

variable "target_port" {
  description = "Port the targets (the containers) listen on; the health check uses it too."
  type        = number
  default     = 8080

  validation {
    condition     = var.target_port >= 1 && var.target_port <= 65535 && floor(var.target_port) == var.target_port
    error_message = "target_port must be an integer between 1 and 65535."
  }
}

variable "target_protocol" {
  description = "Protocol between the load balancer and the targets: HTTP or HTTPS."
  type        = string
  default     = "HTTP"

  validation {
    condition     = contains(["HTTP", "HTTPS"], var.target_protocol)
    error_message = "target_protocol must be HTTP or HTTPS."
  }
}

variable "target_deregistration_delay" {
  description = "Seconds the load balancer lets in-flight requests of a deregistering target finish."
  type        = number
  default     = 30

  validation {
    condition     = var.target_deregistration_delay >= 0 && var.target_deregistration_delay <= 3600
    error_message = "target_deregistration_delay must be between 0 and 3600 seconds."
  }
}

variable "health_check" {
  description = "Health check of the target group. The path must answer with a status in matcher without authentication."
  type = object({
    path                = optional(string, "/health")
    matcher             = optional(string, "200-399")
    interval            = optional(number, 15)
    timeout             = optional(number, 5)
    healthy_threshold   = optional(number, 2)
    unhealthy_threshold = optional(number, 3)
  })
  default = {}

  validation {
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
    condition     = can(regex("^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*(\\?[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?$", var.health_check.path)) && length(var.health_check.path) <= 1024
    error_message = "health_check.path must start with / and hold only URL path characters (RFC 3986), optionally followed by ?query; at most 1024 characters."
  }

  validation {
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Matcher.html
    condition     = can(regex("^(2[0-9]{2}|3[0-9]{2}|4[0-9]{2})(-(2[0-9]{2}|3[0-9]{2}|4[0-9]{2})|(,(2[0-9]{2}|3[0-9]{2}|4[0-9]{2}))*)$", var.health_check.matcher))
    error_message = "health_check.matcher must be HTTP codes between 200 and 499: one (200), a list (200,204) or a range (200-399)."
  }

  validation {
    condition     = var.health_check.interval >= 5 && var.health_check.interval <= 300 && var.health_check.timeout >= 2 && var.health_check.timeout <= 120 && var.health_check.timeout < var.health_check.interval
    error_message = "health_check.interval must be 5-300 seconds, timeout 2-120 seconds and shorter than the interval."
  }

  validation {
    condition     = var.health_check.healthy_threshold >= 2 && var.health_check.healthy_threshold <= 10 && var.health_check.unhealthy_threshold >= 2 && var.health_check.unhealthy_threshold <= 10
    error_message = "health_check.healthy_threshold and unhealthy_threshold must be between 2 and 10."
  }
}

variable "idle_timeout" {
  description = "Seconds a connection may stay idle. API Gateway's integration timeout is at most 30 s, so a longer value buys nothing."
  type        = number
  default     = 60

  validation {
    condition     = var.idle_timeout >= 1 && var.idle_timeout <= 4000
    error_message = "idle_timeout must be between 1 and 4000 seconds."
  }
}

variable "deletion_protection_enabled" {
  description = "Protect the load balancer against deletion, by a destroy or by hand: the API's only way to the application. Turn off (and apply) before destroying the stack."
  type        = bool
  default     = true
}

variable "access_logs" {
  description = "Access logs of the load balancer (one line per request: client, target, status, latencies, TLS) to S3. By default to a bucket the module creates for them: SSE-S3 (the only encryption ALB log delivery accepts), public access blocked, ACLs off, TLS-only bucket policy that lets only Elastic Load Balancing of the region write under <prefix>/AWSLogs/<account>/, versioned, expired after retention_days. bucket: an existing bucket instead (its policy must let Elastic Load Balancing write; retention_days and force_destroy then do nothing)."
  type = object({
    enabled        = optional(bool, true)
    bucket         = optional(string)
    prefix         = optional(string, "alb")
    retention_days = optional(number, 365)
    force_destroy  = optional(bool, false)
  })
  default = {}

  validation {
    condition     = var.access_logs.bucket == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.access_logs.bucket))
    error_message = "access_logs.bucket must be an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)."
  }

  validation {
    condition     = can(regex("^([A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*)?$", var.access_logs.prefix)) && !strcontains(var.access_logs.prefix, "AWSLogs")
    error_message = "access_logs.prefix must be empty or key segments without a leading or trailing slash, and must not contain AWSLogs (Elastic Load Balancing adds AWSLogs/<account>/ itself)."
  }

  validation {
    condition     = var.access_logs.retention_days >= 1 && floor(var.access_logs.retention_days) == var.access_logs.retention_days
    error_message = "access_logs.retention_days must be a whole number of days, at least 1."
  }
}

variable "drop_invalid_header_fields" {
  description = "Drop HTTP headers with invalid names instead of forwarding them to the targets."
  type        = bool
  default     = true
}
