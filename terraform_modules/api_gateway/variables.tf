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
  description = "How many days the access log group keeps its events (a year by default, what most audit baselines ask)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.access_log_retention_in_days)
    error_message = "access_log_retention_in_days must be one of the values CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "access_log_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the access log group (its key policy must let CloudWatch Logs use it). Null: see access_log_kms_key_create."
  type        = string
  default     = null

  validation {
    condition     = var.access_log_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]+$", var.access_log_kms_key_arn))
    error_message = "access_log_kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)."
  }
}

variable "access_log_kms_key_create" {
  description = "With access_log_kms_key_arn null: encrypt the access log group with a customer managed key the module creates for it alone (rotated yearly, about 1 USD a month). False leaves the group under CloudWatch Logs' own encryption, with no key policy to say who may decrypt."
  type        = bool
  default     = true
}

variable "authorization_type" {
  description = "Who may call the API's routes: AWS_IAM (requests signed with SigV4 by principals allowed execute-api:Invoke), JWT (tokens from jwt_issuer for one of jwt_audience, checked by API Gateway before the VPC link) or NONE (anyone; the application authenticates, if at all)."
  type        = string
  default     = "AWS_IAM"

  validation {
    condition     = contains(["NONE", "AWS_IAM", "JWT"], var.authorization_type)
    error_message = "authorization_type must be NONE, AWS_IAM or JWT."
  }
}

variable "jwt_issuer" {
  description = "With authorization_type JWT: the issuer (iss) of the accepted tokens, an https URL whose /.well-known/openid-configuration API Gateway reads (e.g. https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123)."
  type        = string
  default     = null

  validation {
    condition     = var.jwt_issuer == null || can(regex("^https://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*)?$", var.jwt_issuer))
    error_message = "jwt_issuer must be an https:// URL (the token issuer, e.g. https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123)."
  }

  validation {
    condition     = (var.authorization_type == "JWT") == (var.jwt_issuer != null)
    error_message = "jwt_issuer is required with authorization_type JWT, and only then."
  }
}

variable "jwt_audience" {
  description = "With authorization_type JWT: the accepted audiences (aud, or client_id for access tokens); a token must name one of them."
  type        = list(string)
  default     = []

  validation {
    condition     = var.authorization_type != "JWT" || (length(var.jwt_audience) > 0 && alltrue([for a in var.jwt_audience : length(trimspace(a)) > 0]))
    error_message = "jwt_audience must name at least one audience with authorization_type JWT: without one API Gateway would accept tokens issued for any application of the issuer."
  }
}

variable "jwt_authorization_scopes" {
  description = "With authorization_type JWT: scopes a token must hold one of (empty: any valid token)."
  type        = list(string)
  default     = []
}

variable "unauthenticated_route_keys" {
  description = "Routes (\"GET /health\") that stay open whatever authorization_type says, to the same integration: for the keep-alive's request, which must reach the VPC link and cannot carry credentials. Name the health path only; never the catch-all routes."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for key in var.unauthenticated_route_keys : can(regex("^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) /[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$", key))])
    error_message = "unauthenticated_route_keys must be specific routes \"METHOD /path\" (GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS, a literal path without {variables}), never ANY, $default or a greedy path."
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

variable "forwarded_host_header" {
  description = "Name of a request header that the integration sets to the domain name the client called ($context.domainName). API Gateway does not pass the client's Host header on to the listener, so the ALB's host-based rules read this header. Null: no header, and routes only by path."
  type        = string
  default     = null

  validation {
    condition     = var.forwarded_host_header == null || can(regex("^x-[a-z0-9-]{1,60}$", var.forwarded_host_header)) && !can(regex("^x-(amz|amzn|forwarded)-", coalesce(var.forwarded_host_header, "x")))
    error_message = "forwarded_host_header must be a lowercase x-... header name that API Gateway does not reserve (not x-amz-*, x-amzn-* or x-forwarded-*)."
  }
}
