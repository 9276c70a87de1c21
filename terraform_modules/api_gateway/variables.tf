variable "name" {
  description = "Name of the HTTP API and prefix of its access log group. Lowercase letters, digits and hyphens."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,62}[a-z0-9]$", var.name))
    error_message = "name must be 2-64 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module (the provider's default_tags come on top)."
  type        = map(string)
  default     = {}
}

variable "description" {
  description = "Description of the HTTP API."
  type        = string
  default     = "Public entry point of the application, privately integrated with an internal ALB through a VPC link"
}

variable "vpc_link_id" {
  description = "ID of the HTTP API VPC link the private integration goes through."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]{1,32}$", var.vpc_link_id))
    error_message = "vpc_link_id must be an HTTP API VPC link ID (lowercase letters and digits, e.g. abc123)."
  }
}

variable "listener_arn" {
  description = "ARN of the internal ALB listener: the integration URI of the private integration."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener/app/[A-Za-z0-9-]+/[0-9a-f]+/[0-9a-f]+$", var.listener_arn))
    error_message = "listener_arn must be an Application Load Balancer listener ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener/app/NAME/ID/ID); a private integration with an HTTP API VPC link targets a listener, not a load balancer or a target group."
  }
}

variable "listener_protocol" {
  description = "Protocol of the ALB listener (HTTP or HTTPS). API Gateway speaks HTTPS to it only with a TLS configuration, so HTTPS requires integration_tls_server_name."
  type        = string

  validation {
    condition     = contains(["HTTP", "HTTPS"], var.listener_protocol)
    error_message = "listener_protocol must be HTTP or HTTPS."
  }
}

variable "integration_tls_server_name" {
  description = "Required with an HTTPS listener, null with an HTTP one: the host name API Gateway verifies in the ALB's certificate (and sends as SNI)."
  type        = string
  default     = null

  validation {
    condition     = var.integration_tls_server_name == null || can(regex("^[A-Za-z0-9*]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$", var.integration_tls_server_name))
    error_message = "integration_tls_server_name must be a DNS name (e.g. app.internal.example.com)."
  }
}

variable "integration_timeout_milliseconds" {
  description = "Milliseconds API Gateway waits for the ALB before answering 504."
  type        = number
  default     = 30000

  validation {
    condition     = var.integration_timeout_milliseconds >= 50 && var.integration_timeout_milliseconds <= 30000
    error_message = "integration_timeout_milliseconds must be between 50 and 30000 (the HTTP API limit)."
  }
}

variable "throttling_burst_limit" {
  description = "Burst limit of the $default stage (requests)."
  type        = number
  default     = 500

  validation {
    condition     = var.throttling_burst_limit >= 0 && floor(var.throttling_burst_limit) == var.throttling_burst_limit
    error_message = "throttling_burst_limit must be a non-negative integer."
  }
}

variable "throttling_rate_limit" {
  description = "Steady-state rate limit of the $default stage (requests per second)."
  type        = number
  default     = 1000

  validation {
    condition     = var.throttling_rate_limit >= 0
    error_message = "throttling_rate_limit must be non-negative."
  }
}

variable "detailed_metrics_enabled" {
  description = "Publish per-route CloudWatch metrics (billed)."
  type        = bool
  default     = false
}

variable "access_log_retention_in_days" {
  description = "How many days the access log group keeps its events."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.access_log_retention_in_days)
    error_message = "access_log_retention_in_days must be one of the values CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "cors" {
  description = "CORS configuration of the API. Null: no CORS handling by API Gateway (the application answers preflights itself)."
  type = object({
    allow_origins     = list(string)
    allow_methods     = optional(list(string), ["*"])
    allow_headers     = optional(list(string), [])
    expose_headers    = optional(list(string), [])
    allow_credentials = optional(bool, false)
    max_age           = optional(number, 0)
  })
  default = null
}
