variable "name" {
  description = "Prefix of every resource name of the keep-alive (rule, connection, API destination, role, alarms). Lowercase letters, digits and hyphens."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,22}[a-z0-9]$", var.name))
    error_message = "name must be 2-24 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module that takes tags (the provider's default_tags come on top)."
  type        = map(string)
  default     = {}
}

variable "api_id" {
  description = "ID of the HTTP API (the ApiId dimension of the idle alarm)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]{1,32}$", var.api_id))
    error_message = "api_id must be an HTTP API ID (lowercase letters and digits, e.g. a1b2c3d4e5)."
  }
}

variable "api_endpoint" {
  description = "HTTPS endpoint of the API, without path (https://ID.execute-api.REGION.amazonaws.com)."
  type        = string

  validation {
    condition     = can(regex("^https://[A-Za-z0-9.-]+(:[0-9]+)?/?$", var.api_endpoint))
    error_message = "api_endpoint must be an https:// URL without path, e.g. https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com."
  }
}

variable "health_path" {
  description = "Path the keep-alive requests through the API (and so through the VPC link and the ALB to the application). It must answer 2xx without authentication."
  type        = string
  default     = "/health"

  validation {
    condition     = can(regex("^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*(\\?[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?$", var.health_path)) && length(var.health_path) <= 1024
    error_message = "health_path must start with / and hold only URL path characters (RFC 3986), optionally followed by ?query; at most 1024 characters."
  }
}

variable "http_method" {
  description = "HTTP method of the keep-alive request."
  type        = string
  default     = "GET"

  validation {
    condition     = contains(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"], var.http_method)
    error_message = "http_method must be GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS."
  }
}

variable "schedule_expression" {
  description = "How often the keep-alive request is sent (EventBridge rate() or cron() expression). A VPC link becomes INACTIVE after 60 days without traffic; an hourly request also feeds the idle alarm."
  type        = string
  default     = "rate(1 hour)"

  # The orchestrator's keepalive.schedule rules (orchestrator/config/rules.py: RATE_FORM,
  # KEEPALIVE_MAX_MINUTES, KEEPALIVE_CRON), written the same way here.
  # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
  validation {
    condition = (
      can(regex("^cron\\([0-9A-Za-z*,/-]+ [0-9A-Za-z*,/-]+ (\\? \\* [0-9A-Za-z*,/-]+|[0-9A-Za-z*,/-]+ \\* \\?) \\*\\)$", var.schedule_expression)) || (
        can(regex("^rate\\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\\)$", var.schedule_expression)) &&
        try(tonumber(regex("^rate\\(([0-9]+) (minute|hour|day)s?\\)$", var.schedule_expression)[0]) * lookup({ minute = 1, hour = 60, day = 1440 }, regex("^rate\\(([0-9]+) (minute|hour|day)s?\\)$", var.schedule_expression)[1]) <= 43200, false)
      )
    )
    error_message = "schedule_expression must be rate(N minutes|hours|days) (rate(1 minute|hour|day) in the singular) firing at least every 30 days, so that the VPC link never nears 60 idle days; or cron(...) with six fields that fires every month of every year (month and year *), ? in exactly one of day-of-month and day-of-week, and no #."
  }
}

variable "connection_api_key_name" {
  description = "EventBridge connections need an authorisation: the keep-alive sends this header (with connection_api_key_value). The application may ignore it, or use it to recognise keep-alive requests."
  type        = string
  default     = "x-keepalive"

  validation {
    condition     = can(regex("^[A-Za-z0-9-]{1,128}$", var.connection_api_key_name))
    error_message = "connection_api_key_name must be an HTTP header name (letters, digits, hyphens)."
  }
}

variable "connection_api_key_value" {
  description = "Value of the connection_api_key_name header. Sensitive, so that it can be a token the application checks (the orchestrator hands it over from a secret reference as TF_VAR_connection_api_key_value); EventBridge keeps it in a Secrets Manager secret of the connection."
  type        = string
  default     = "1"
  sensitive   = true

  validation {
    condition     = length(var.connection_api_key_value) >= 1 && length(var.connection_api_key_value) <= 512
    error_message = "connection_api_key_value must be 1-512 characters."
  }
}

variable "alarm_actions" {
  description = "ARNs notified when an alarm goes to ALARM or back to OK (for example an SNS topic). Empty: the alarms are only visible in CloudWatch."
  type        = list(string)
  default     = []
}

variable "idle_alarm_enabled" {
  description = "Create the idle alarm: ALARM when the API has served no request at all for idle_alarm_hours, meaning the keep-alive is not reaching it."
  type        = bool
  default     = true
}

variable "idle_alarm_hours" {
  description = "Hours without any request to the API after which the idle alarm fires. Must exceed the keep-alive interval."
  type        = number
  default     = 24

  validation {
    condition     = var.idle_alarm_hours >= 1 && var.idle_alarm_hours <= 168 && floor(var.idle_alarm_hours) == var.idle_alarm_hours
    error_message = "idle_alarm_hours must be an integer between 1 and 168 (CloudWatch evaluates hourly periods over at most 7 days)."
  }
}
