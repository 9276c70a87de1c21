variable "name" {
  description = "Name of the VPC link and prefix of its security group. Lowercase letters, digits and hyphens."
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

variable "vpc_id" {
  description = "ID of the VPC of the VPC link's security group."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must look like vpc-0123456789abcdef0."
  }
}

variable "private_subnet_ids" {
  description = "IDs of the private subnets where API Gateway places the VPC link's network interfaces (at least two availability zones, those of the ALB)."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 2 && alltrue([for s in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "private_subnet_ids must hold at least two subnet IDs (subnet-...)."
  }
}

variable "alb_security_group_id" {
  description = "ID of the internal ALB's security group: the only destination of the VPC link, which the module opens to it on listener_port."
  type        = string

  validation {
    condition     = can(regex("^sg-[0-9a-f]{8,17}$", var.alb_security_group_id))
    error_message = "alb_security_group_id must look like sg-0123456789abcdef0."
  }
}

variable "listener_port" {
  description = "Port of the ALB listener the integration targets."
  type        = number

  validation {
    condition     = var.listener_port >= 1 && var.listener_port <= 65535 && floor(var.listener_port) == var.listener_port
    error_message = "listener_port must be an integer between 1 and 65535."
  }
}
