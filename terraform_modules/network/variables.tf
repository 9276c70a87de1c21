variable "name" {
  description = "Name of the network, used in the Name tag and as prefix of every resource name (lowercase letters, digits and hyphens)."
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

variable "vpc_cidr_block" {
  description = "IPv4 CIDR block of the VPC (a private range, /16 to /24)."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr_block, 0)) && can(regex("/(1[6-9]|2[0-4])$", var.vpc_cidr_block))
    error_message = "vpc_cidr_block must be a valid IPv4 CIDR block with a prefix length between /16 and /24 (AWS limits)."
  }

  validation {
    condition     = can(cidrhost(var.vpc_cidr_block, 0)) && cidrhost(var.vpc_cidr_block, 0) == split("/", var.vpc_cidr_block)[0]
    error_message = "vpc_cidr_block must be written with its network address (for example 10.0.0.0/16, not 10.0.1.0/16)."
  }
}

variable "enable_dns_support" {
  description = "Enable the Amazon DNS server in the VPC. Required by the Interface endpoints' private DNS, so it must stay true while they exist."
  type        = bool
  default     = true
}

variable "enable_dns_hostnames" {
  description = "Give instances and endpoints DNS hostnames. Required by the Interface endpoints' private DNS, so it must stay true while they exist."
  type        = bool
  default     = true
}

variable "availability_zones" {
  description = "Availability zones of the subnets, by name (e.g. [\"eu-west-1a\", \"eu-west-1b\"]): private subnet i goes to zone i, so at least as many zones as private subnets (one private subnet per zone); public subnet i goes to zone i modulo the list's length. Empty (and no availability_zone_ids): the first available of the region's zones named a to f."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.availability_zones) == 0 || (length(var.availability_zones) >= 2 && length(distinct(var.availability_zones)) == length(var.availability_zones))
    error_message = "availability_zones must be empty (automatic) or list at least two distinct zones: an ALB and a VPC link need subnets in two zones."
  }
}

variable "availability_zone_ids" {
  description = "Availability zones of the subnets, by zone ID (e.g. [\"euw1-az1\", \"euw1-az2\"]): the same physical zones in every account, the way to pin a long-lived environment. Used instead of availability_zones (give one or the other); private subnet i goes to zone i."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.availability_zone_ids) == 0 || (length(var.availability_zone_ids) >= 2 && length(distinct(var.availability_zone_ids)) == length(var.availability_zone_ids) && alltrue([for id in var.availability_zone_ids : can(regex("^[a-z]{2,5}[0-9]+-az[0-9]+$", id))]))
    error_message = "availability_zone_ids must be empty or list at least two distinct availability zone IDs such as euw1-az1 (an ALB and a VPC link need subnets in two zones)."
  }

  validation {
    condition     = length(var.availability_zone_ids) == 0 || length(var.availability_zones) == 0
    error_message = "Give availability_zone_ids or availability_zones, not both."
  }
}

variable "private_subnet_cidrs" {
  description = "IPv4 CIDR blocks of the private subnets, one subnet per block and per availability zone (at least two). The ALB, the VPC link, the tasks and the Interface endpoints live in them."
  type        = list(string)
  default     = ["10.0.0.0/20", "10.0.16.0/20"]

  validation {
    condition     = length(var.private_subnet_cidrs) >= 2
    error_message = "private_subnet_cidrs must hold at least two blocks: an ALB and a VPC link need subnets in two availability zones."
  }

  validation {
    condition     = alltrue([for c in var.private_subnet_cidrs : can(cidrhost(c, 0)) && can(regex("^[0-9.]+/(1[6-9]|2[0-8])$", c))])
    error_message = "Every private_subnet_cidrs entry must be a valid IPv4 CIDR block with a prefix length between /16 and /28."
  }

  validation {
    condition     = length(distinct(var.private_subnet_cidrs)) == length(var.private_subnet_cidrs)
    error_message = "private_subnet_cidrs must not repeat a block."
  }
}

variable "private_subnet_tags" {
  description = "Extra tags for the private subnets."
  type        = map(string)
  default     = {}
}

variable "public_subnet_cidrs" {
  description = "IPv4 CIDR blocks of optional public subnets (with an internet gateway). Empty by default: the architecture needs no public subnet. Required only for NAT gateways."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.public_subnet_cidrs : can(cidrhost(c, 0)) && can(regex("^[0-9.]+/(1[6-9]|2[0-8])$", c))])
    error_message = "Every public_subnet_cidrs entry must be a valid IPv4 CIDR block with a prefix length between /16 and /28."
  }

  validation {
    condition     = length(distinct(var.public_subnet_cidrs)) == length(var.public_subnet_cidrs)
    error_message = "public_subnet_cidrs must not repeat a block."
  }
}

variable "public_subnet_tags" {
  description = "Extra tags for the public subnets."
  type        = map(string)
  default     = {}
}

variable "nat_gateway_enabled" {
  description = "Give the private subnets outbound internet access through NAT gateways in the public subnets. Off by default: the VPC endpoints are enough for Fargate to pull from ECR and write logs."
  type        = bool
  default     = false
}

variable "nat_gateway_single" {
  description = "With nat_gateway_enabled: one NAT gateway for all private subnets (cheaper) instead of one per availability zone (survives a zone outage)."
  type        = bool
  default     = true
}

variable "vpc_endpoint_interface_services" {
  description = "AWS services reached through Interface endpoints with private DNS, by short name (com.amazonaws.REGION.<name>). Must include ecr.api, ecr.dkr and logs, without which Fargate tasks in private subnets cannot start; add others (e.g. secretsmanager, ssm) as the application needs."
  type        = list(string)
  default     = ["ecr.api", "ecr.dkr", "logs"]

  validation {
    condition     = length(setsubtract(["ecr.api", "ecr.dkr", "logs"], var.vpc_endpoint_interface_services)) == 0
    error_message = "vpc_endpoint_interface_services must include ecr.api, ecr.dkr and logs: without them Fargate tasks without a public IP or NAT cannot pull their image or start their log driver."
  }

  validation {
    condition     = alltrue([for s in var.vpc_endpoint_interface_services : can(regex("^[a-z0-9][a-z0-9.-]*[a-z0-9]$", s))]) && !contains(var.vpc_endpoint_interface_services, "s3")
    error_message = "vpc_endpoint_interface_services entries are short service names such as ecr.api; s3 is always created as a Gateway endpoint and must not be listed."
  }
}

variable "flow_log_enabled" {
  description = "Record the VPC's traffic in a CloudWatch Logs log group (VPC flow logs)."
  type        = bool
  default     = false
}

variable "flow_log_traffic_type" {
  description = "Which traffic the flow logs record: ACCEPT, REJECT or ALL."
  type        = string
  default     = "ALL"

  validation {
    condition     = contains(["ACCEPT", "REJECT", "ALL"], var.flow_log_traffic_type)
    error_message = "flow_log_traffic_type must be ACCEPT, REJECT or ALL."
  }
}

variable "flow_log_retention_in_days" {
  description = "How many days the flow log group keeps its events (a year by default, what most audit baselines ask)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_in_days)
    error_message = "flow_log_retention_in_days must be one of the values CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "flow_log_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the flow log group (its key policy must let CloudWatch Logs use it). Null: see flow_log_kms_key_create."
  type        = string
  default     = null

  validation {
    condition     = var.flow_log_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]+$", var.flow_log_kms_key_arn))
    error_message = "flow_log_kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)."
  }
}

variable "flow_log_kms_key_create" {
  description = "With flow_log_kms_key_arn null: encrypt the flow log group with a customer managed key the module creates for it alone (rotated yearly, about 1 USD a month). False leaves the group under CloudWatch Logs' own encryption, with no key policy to say who may decrypt."
  type        = bool
  default     = true
}
