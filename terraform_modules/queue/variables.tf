variable "name" {
  description = "Prefix of every resource name of the queue stack (queue, dead-letter queue, IAM policy). Lowercase letters, digits and hyphens."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,38}[a-z0-9]$", var.name))
    error_message = "name must be 2-40 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module that takes tags (the provider's default_tags come on top)."
  type        = map(string)
  default     = {}
}

variable "queue_name" {
  description = "Name of the queue after the prefix: the queue is NAME-QUEUE_NAME, its dead-letter queue NAME-QUEUE_NAME-dlq."
  type        = string
  default     = "jobs"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,29}$", var.queue_name))
    error_message = "queue_name must be 1-30 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "visibility_timeout_seconds" {
  description = "Seconds a received message stays invisible to other consumers: longer than the worker takes for one message."
  type        = number
  default     = 60

  validation {
    condition     = var.visibility_timeout_seconds >= 0 && var.visibility_timeout_seconds <= 43200
    error_message = "visibility_timeout_seconds must be between 0 and 43200 (12 hours)."
  }
}

variable "message_retention_seconds" {
  description = "Seconds the queue keeps a message that nobody deletes."
  type        = number
  default     = 345600

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600
    error_message = "message_retention_seconds must be between 60 (1 minute) and 1209600 (14 days)."
  }
}

variable "max_receive_count" {
  description = "Receives after which a message that is never deleted moves to the dead-letter queue."
  type        = number
  default     = 5

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000
    error_message = "max_receive_count must be between 1 and 1000."
  }
}

variable "dead_letter_retention_seconds" {
  description = "Seconds the dead-letter queue keeps a message (longer than the queue, to leave time to look at it)."
  type        = number
  default     = 1209600

  validation {
    condition     = var.dead_letter_retention_seconds >= 60 && var.dead_letter_retention_seconds <= 1209600
    error_message = "dead_letter_retention_seconds must be between 60 (1 minute) and 1209600 (14 days)."
  }
}

variable "kms_deletion_window_in_days" {
  description = "Days a deleted KMS key of the queues waits before it is gone."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_in_days >= 7 && var.kms_deletion_window_in_days <= 30
    error_message = "kms_deletion_window_in_days must be between 7 and 30."
  }
}

variable "consumer_services" {
  description = "Services of the ecs stack (its `services`) that consume the queue: their task roles get the consumer policy."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for name in var.consumer_services : can(regex("^[a-z][a-z0-9-]{0,19}$", name))]) && length(distinct(var.consumer_services)) == length(var.consumer_services)
    error_message = "consumer_services must be distinct service names: 1-20 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "service_task_role_names" {
  description = "Task role name of each service of the ecs stack (its service_task_role_names output): service => role name. Empty: the roles are named as the ecs module names them."
  type        = map(string)
  default     = {}
}
