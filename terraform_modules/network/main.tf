# Network: a VPC whose private subnets can run Fargate tasks without any route to the internet.
# ECR, CloudWatch Logs and S3 (image layers) are reached through VPC endpoints.

data "aws_region" "current" {}

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

# The zones the subnets may use, pinned by identity: the zone IDs or names given, else the region's
# zones named a to f. The set never grows by itself when AWS adds a zone, and a zone that is not
# available (a typo, a zone the account cannot use) is refused before anything is created.
data "aws_availability_zones" "available" {
  state = "available"

  filter {
    name   = local.zone_filter.name
    values = local.zone_filter.values
  }
}

locals {
  region = data.aws_region.current.region

  zone_filter = (
    length(var.availability_zone_ids) > 0 ? { name = "zone-id", values = var.availability_zone_ids } :
    length(var.availability_zones) > 0 ? { name = "zone-name", values = var.availability_zones } :
    { name = "zone-name", values = [for letter in ["a", "b", "c", "d", "e", "f"] : "${local.region}${letter}"] }
  )

  # Zone names in the order given (by ID or by name), else in the region's order; only available ones.
  zone_name_by_id = zipmap(data.aws_availability_zones.available.zone_ids, data.aws_availability_zones.available.names)
  zone_names = (
    length(var.availability_zone_ids) > 0 ? [for id in var.availability_zone_ids : local.zone_name_by_id[id] if contains(keys(local.zone_name_by_id), id)] :
    length(var.availability_zones) > 0 ? [for name in var.availability_zones : name if contains(data.aws_availability_zones.available.names, name)] :
    data.aws_availability_zones.available.names
  )
  zones_unavailable  = setsubtract(local.zone_filter.values, length(var.availability_zone_ids) > 0 ? keys(local.zone_name_by_id) : data.aws_availability_zones.available.names)
  availability_zones = slice(local.zone_names, 0, min(length(local.zone_names), length(var.private_subnet_cidrs)))

  vpc_prefix_length = tonumber(split("/", var.vpc_cidr_block)[1])

  # A subnet lies inside the VPC when its address, masked to the VPC's prefix, is the VPC's network.
  subnet_cidrs_outside_vpc = [
    for c in concat(var.private_subnet_cidrs, var.public_subnet_cidrs) : c
    if tonumber(split("/", c)[1]) < local.vpc_prefix_length || cidrhost("${split("/", c)[0]}/${local.vpc_prefix_length}", 0) != cidrhost(var.vpc_cidr_block, 0)
  ]

  private_subnets = { for i, cidr in var.private_subnet_cidrs : tostring(i) => {
    cidr = cidr
    az   = local.availability_zones[i % length(local.availability_zones)]
  } }

  public_subnets = { for i, cidr in var.public_subnet_cidrs : tostring(i) => {
    cidr = cidr
    az   = local.availability_zones[i % length(local.availability_zones)]
  } }

  public_enabled = length(var.public_subnet_cidrs) > 0

  # NAT gateways live in public subnets: one, or one per public subnet (each private subnet
  # uses the one of the same index, modulo their number).
  nat_gateway_count = var.nat_gateway_enabled && local.public_enabled ? (var.nat_gateway_single ? 1 : length(var.public_subnet_cidrs)) : 0

  interface_services = toset(var.vpc_endpoint_interface_services)
}

resource "aws_vpc" "this" {
  cidr_block           = var.vpc_cidr_block
  enable_dns_support   = var.enable_dns_support
  enable_dns_hostnames = var.enable_dns_hostnames

  tags = merge(var.tags, { Name = var.name })

  lifecycle {
    precondition {
      condition     = length(local.subnet_cidrs_outside_vpc) == 0
      error_message = "These subnet CIDR blocks are not inside vpc_cidr_block ${var.vpc_cidr_block}: ${join(", ", local.subnet_cidrs_outside_vpc)}."
    }
    precondition {
      condition     = length(var.availability_zone_ids) + length(var.availability_zones) == 0 || length(local.zones_unavailable) == 0
      error_message = "These availability zones are not available to this account in ${local.region}: ${join(", ", sort(local.zones_unavailable))}."
    }
    precondition {
      condition     = length(local.availability_zones) == length(var.private_subnet_cidrs)
      error_message = "Each private subnet needs its own availability zone (an ALB, a VPC link and an Interface endpoint accept one subnet per zone): ${length(var.private_subnet_cidrs)} private subnets, ${length(local.zone_names)} zones available."
    }
    precondition {
      condition     = !var.nat_gateway_enabled || local.public_enabled
      error_message = "nat_gateway_enabled needs public subnets for the NAT gateways: set public_subnet_cidrs."
    }
  }
}

# Every VPC comes with a default security group that admits traffic from its own members and lets
# them send anywhere; anything launched without a group lands in it. Managed here with no rule at
# all, so that it admits and sends nothing (every group the modules create is their own).
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id

  ingress = []
  egress  = []

  tags = merge(var.tags, { Name = "${var.name}-default-deny-all" })
}

# --- private subnets: one route table each, so that per-zone NAT routes stay possible -------------

resource "aws_subnet" "private" {
  for_each = local.private_subnets

  vpc_id                  = aws_vpc.this.id
  cidr_block              = each.value.cidr
  availability_zone       = each.value.az
  map_public_ip_on_launch = false

  tags = merge(var.tags, var.private_subnet_tags, {
    Name = "${var.name}-private-${each.value.az}-${each.key}"
    Tier = "private"
  })
}

resource "aws_route_table" "private" {
  for_each = local.private_subnets

  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-private-${each.value.az}-${each.key}" })
}

resource "aws_route_table_association" "private" {
  for_each = local.private_subnets

  subnet_id      = aws_subnet.private[each.key].id
  route_table_id = aws_route_table.private[each.key].id
}

# --- optional public subnets, internet gateway and NAT gateways ------------------------------------

resource "aws_subnet" "public" {
  for_each = local.public_subnets

  vpc_id                  = aws_vpc.this.id
  cidr_block              = each.value.cidr
  availability_zone       = each.value.az
  map_public_ip_on_launch = false

  tags = merge(var.tags, var.public_subnet_tags, {
    Name = "${var.name}-public-${each.value.az}-${each.key}"
    Tier = "public"
  })
}

resource "aws_internet_gateway" "this" {
  count = local.public_enabled ? 1 : 0

  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_route_table" "public" {
  count = local.public_enabled ? 1 : 0

  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-public" })
}

resource "aws_route" "public_internet" {
  count = local.public_enabled ? 1 : 0

  route_table_id         = aws_route_table.public[0].id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this[0].id
}

resource "aws_route_table_association" "public" {
  for_each = local.public_subnets

  subnet_id      = aws_subnet.public[each.key].id
  route_table_id = aws_route_table.public[0].id
}

resource "aws_eip" "nat" {
  count = local.nat_gateway_count

  domain = "vpc"

  tags = merge(var.tags, { Name = "${var.name}-nat-${count.index}" })
}

resource "aws_nat_gateway" "this" {
  count = local.nat_gateway_count

  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[tostring(count.index)].id

  tags = merge(var.tags, { Name = "${var.name}-nat-${count.index}" })

  depends_on = [aws_internet_gateway.this]
}

resource "aws_route" "private_nat" {
  for_each = local.nat_gateway_count > 0 ? local.private_subnets : {}

  route_table_id         = aws_route_table.private[each.key].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[tonumber(each.key) % local.nat_gateway_count].id
}

# --- VPC endpoints: what Fargate tasks without internet access need to start -----------------------

resource "aws_security_group" "vpc_endpoints" {
  name_prefix = "${var.name}-vpce-"
  description = "Interface VPC endpoints of ${var.name}: HTTPS from inside the VPC only"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-vpce" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "vpc_endpoints_https" {
  security_group_id = aws_security_group.vpc_endpoints.id
  description       = "HTTPS from inside the VPC"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = aws_vpc.this.cidr_block

  tags = merge(var.tags, { Name = "${var.name}-vpce-https-from-vpc" })
}

resource "aws_vpc_endpoint" "interface" {
  for_each = local.interface_services

  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.${local.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = [for s in aws_subnet.private : s.id]
  security_group_ids  = [aws_security_group.vpc_endpoints.id]

  tags = merge(var.tags, { Name = "${var.name}-${each.key}" })

  lifecycle {
    precondition {
      condition     = aws_vpc.this.enable_dns_support && aws_vpc.this.enable_dns_hostnames
      error_message = "The ${each.key} Interface endpoint uses private DNS, which AWS refuses unless the VPC has both enable_dns_support and enable_dns_hostnames set to true."
    }
  }
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${local.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [for rt in aws_route_table.private : rt.id]

  tags = merge(var.tags, { Name = "${var.name}-s3" })
}

# --- optional flow logs ---------------------------------------------------------------------------

locals {
  flow_log_group_name     = "/vpc/${var.name}/flow-logs"
  flow_log_kms_key_create = var.flow_log_enabled && var.flow_log_kms_key_arn == null && var.flow_log_kms_key_create
}

# A customer managed key for the flow log group alone, rotated every year. Its key policy (written
# inline: it is a key policy, where Resource "*" means this key, not an IAM policy) is AWS's default,
# which lets the account's IAM policies govern the key, plus CloudWatch Logs for this log group only.
resource "aws_kms_key" "flow_log" {
  count = local.flow_log_kms_key_create ? 1 : 0

  description             = "Encrypts the VPC flow log group ${local.flow_log_group_name}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountManagesTheKeyThroughIam"
        Effect    = "Allow"
        Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root" }
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
          ArnEquals = { "kms:EncryptionContext:aws:logs:arn" = "arn:${data.aws_partition.current.partition}:logs:${local.region}:${data.aws_caller_identity.current.account_id}:log-group:${local.flow_log_group_name}" }
        }
      },
    ]
  })

  tags = merge(var.tags, { Name = "${var.name}-flow-logs" })
}

resource "aws_cloudwatch_log_group" "flow_log" {
  count = var.flow_log_enabled ? 1 : 0

  name              = local.flow_log_group_name
  retention_in_days = var.flow_log_retention_in_days
  kms_key_id        = local.flow_log_kms_key_create ? aws_kms_key.flow_log[0].arn : var.flow_log_kms_key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "flow_log_assume" {
  count = var.flow_log_enabled ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

data "aws_iam_policy_document" "flow_log" {
  count = var.flow_log_enabled ? 1 : 0

  statement {
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:DescribeLogGroups",
      "logs:DescribeLogStreams",
    ]
    resources = [
      aws_cloudwatch_log_group.flow_log[0].arn,
      "${aws_cloudwatch_log_group.flow_log[0].arn}:*",
    ]
  }
}

resource "aws_iam_role" "flow_log" {
  count = var.flow_log_enabled ? 1 : 0

  name               = "${var.name}-vpc-flow-logs"
  assume_role_policy = data.aws_iam_policy_document.flow_log_assume[0].json

  tags = var.tags
}

resource "aws_iam_role_policy" "flow_log" {
  count = var.flow_log_enabled ? 1 : 0

  name   = "write-flow-logs"
  role   = aws_iam_role.flow_log[0].id
  policy = data.aws_iam_policy_document.flow_log[0].json
}

resource "aws_flow_log" "this" {
  count = var.flow_log_enabled ? 1 : 0

  vpc_id               = aws_vpc.this.id
  traffic_type         = var.flow_log_traffic_type
  log_destination_type = "cloud-watch-logs"
  log_destination      = aws_cloudwatch_log_group.flow_log[0].arn
  iam_role_arn         = aws_iam_role.flow_log[0].arn

  tags = merge(var.tags, { Name = var.name })
}
