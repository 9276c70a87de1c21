# Internal Application Load Balancer: the only target of the API Gateway VPC link.
# Its security group starts closed. The vpc_link module opens ingress from the VPC link's security
# group on the listener port; the ecs module opens egress to the tasks' security group on the
# container port. Nothing else reaches or leaves the load balancer.

data "aws_region" "current" {}

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

locals {
  region     = data.aws_region.current.region
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id

  listener_port = coalesce(var.listener_port, var.listener_protocol == "HTTPS" ? 443 : 80)
}

resource "aws_security_group" "this" {
  name_prefix = "${var.name}-alb-"
  description = "Internal ALB ${var.name}: ingress from the VPC link only, egress to the tasks only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-alb" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_lb" "this" {
  #checkov:skip=CKV2_AWS_20:The one listener is reached only by the API Gateway VPC link (its security group admits nothing else), and API Gateway does not follow redirects: an HTTP-to-HTTPS redirect listener would have no client to redirect and would break the integration. Clients reach the API over HTTPS only (API Gateway serves no plain HTTP); whether the hop to the ALB is encrypted is what CKV_AWS_2 checks on the listener, and the module's default is HTTPS.
  name                       = var.name
  load_balancer_type         = "application"
  internal                   = var.internal
  subnets                    = var.private_subnet_ids
  security_groups            = [aws_security_group.this.id]
  idle_timeout               = var.idle_timeout
  enable_deletion_protection = var.deletion_protection_enabled
  drop_invalid_header_fields = var.drop_invalid_header_fields
  desync_mitigation_mode     = "defensive" # AWS's default, stated: requests classed as severe HTTP desync risks are refused

  dynamic "access_logs" {
    for_each = var.access_logs.enabled ? [local.access_logs_bucket] : []
    content {
      enabled = true
      bucket  = access_logs.value
      prefix  = var.access_logs.prefix
    }
  }

  tags = merge(var.tags, { Name = var.name })

  # The load balancer checks that it may write to the bucket when access logs are switched on.
  depends_on = [aws_s3_bucket_policy.access_logs]

  lifecycle {
    precondition {
      condition     = var.internal
      error_message = "The load balancer must be internal: an HTTP API VPC link cannot reach an internet-facing ALB (API Gateway answers 503 Service Unavailable)."
    }
    postcondition {
      condition     = self.internal == true
      error_message = "The load balancer is not internal: an HTTP API VPC link cannot reach an internet-facing ALB."
    }
  }
}

resource "aws_lb_target_group" "this" {
  name                 = "${var.name}-tg"
  vpc_id               = var.vpc_id
  target_type          = "ip" # Fargate tasks (awsvpc) register by IP address; "instance" would be rejected
  port                 = var.target_port
  protocol             = var.target_protocol
  deregistration_delay = tostring(var.target_deregistration_delay)

  health_check {
    enabled             = true
    path                = var.health_check.path
    matcher             = var.health_check.matcher
    interval            = var.health_check.interval
    timeout             = var.health_check.timeout
    healthy_threshold   = var.health_check.healthy_threshold
    unhealthy_threshold = var.health_check.unhealthy_threshold
    port                = "traffic-port"
    protocol            = var.target_protocol
  }

  tags = merge(var.tags, { Name = "${var.name}-tg" })
}

resource "aws_lb_listener" "this" {
  load_balancer_arn = aws_lb.this.arn
  port              = local.listener_port
  protocol          = var.listener_protocol
  certificate_arn   = var.listener_protocol == "HTTPS" ? var.listener_certificate_arn : null
  ssl_policy        = var.listener_protocol == "HTTPS" ? var.listener_ssl_policy : null

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }

  tags = merge(var.tags, { Name = "${var.name}-${lower(var.listener_protocol)}-${local.listener_port}" })

  lifecycle {
    precondition {
      condition     = var.listener_protocol == "HTTP" || var.listener_certificate_arn != null
      error_message = "An HTTPS listener needs listener_certificate_arn (an ACM certificate with a name API Gateway verifies, see integration_tls_server_name of api_gateway); or choose listener_protocol = \"HTTP\", plain HTTP between API Gateway and the ALB inside the VPC."
    }
  }
}

# --- access logs: a bucket of their own unless access_logs.bucket names one -------------------------

locals {
  access_logs_create = var.access_logs.enabled && var.access_logs.bucket == null
  # Known at plan time, so that the plan shows where the logs go (the load balancer depends on the
  # bucket policy, which depends on the bucket).
  access_logs_bucket     = local.access_logs_create ? "${var.name}-alb-logs-${local.account_id}-${local.region}" : var.access_logs.bucket
  access_logs_bucket_arn = "arn:${local.partition}:s3:::${coalesce(local.access_logs_bucket, "none")}"

  # Who writes ALB access logs, by region: in the regions that opened before August 2022, Elastic
  # Load Balancing's own account of the region (what the provider's aws_elb_service_account answers,
  # from its source); in every later region, the log delivery service principal.
  # https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
  elb_account_by_region = {
    "af-south-1"     = "098369216593"
    "ap-east-1"      = "754344448648"
    "ap-northeast-1" = "582318560864"
    "ap-northeast-2" = "600734575887"
    "ap-northeast-3" = "383597477331"
    "ap-south-1"     = "718504428378"
    "ap-southeast-1" = "114774131450"
    "ap-southeast-2" = "783225319266"
    "ap-southeast-3" = "589379963580"
    "ca-central-1"   = "985666609251"
    "cn-north-1"     = "638102146993"
    "cn-northwest-1" = "037604701340"
    "eu-central-1"   = "054676820928"
    "eu-north-1"     = "897822967062"
    "eu-south-1"     = "635631232127"
    "eu-west-1"      = "156460612806"
    "eu-west-2"      = "652711504416"
    "eu-west-3"      = "009996457667"
    "me-south-1"     = "076674570225"
    "sa-east-1"      = "507241528517"
    "us-east-1"      = "127311923021"
    "us-east-2"      = "033677994240"
    "us-gov-east-1"  = "190560391635"
    "us-gov-west-1"  = "048591011584"
    "us-west-1"      = "027434742980"
    "us-west-2"      = "797873946194"
  }
  elb_log_writer = contains(keys(local.elb_account_by_region), local.region) ? {
    type = "AWS", identifiers = ["arn:${local.partition}:iam::${local.elb_account_by_region[local.region]}:root"]
    } : {
    type = "Service", identifiers = ["logdelivery.elasticloadbalancing.amazonaws.com"]
  }
  access_logs_prefix = var.access_logs.prefix == "" ? "" : "${var.access_logs.prefix}/"
}

resource "aws_s3_bucket" "access_logs" {
  #checkov:skip=CKV_AWS_145:ALB access logs can be delivered only to a bucket encrypted with S3-managed keys (SSE-S3); Elastic Load Balancing refuses an SSE-KMS bucket. The bucket is encrypted with SSE-S3.
  #checkov:skip=CKV_AWS_18:This bucket is itself a log bucket, written only by Elastic Load Balancing; logging its own accesses into itself would loop, and the account's S3 server access log bucket, if any, lives outside this module (CloudTrail data events cover it too).
  #checkov:skip=CKV_AWS_144:Access logs are operational records of one regional load balancer, kept in its region as ALB requires (the bucket must be in the load balancer's region); copies to a second region are a choice of the account's backup policy, not of this module.
  #checkov:skip=CKV2_AWS_62:Nothing consumes events of new log objects; they are read on demand (Athena, downloads). Add a notification where a log pipeline needs one.
  count = local.access_logs_create ? 1 : 0

  bucket        = local.access_logs_bucket
  force_destroy = var.access_logs.force_destroy

  tags = merge(var.tags, { Name = "${var.name}-alb-logs" })
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  count = local.access_logs_create ? 1 : 0

  bucket                  = aws_s3_bucket.access_logs[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  count = local.access_logs_create ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id

  rule {
    object_ownership = "BucketOwnerEnforced" # no ACLs: the bucket policy alone decides
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  count = local.access_logs_create ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256" # SSE-S3: the only encryption ALB log delivery accepts
    }
  }
}

resource "aws_s3_bucket_versioning" "access_logs" {
  count = local.access_logs_create ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id

  versioning_configuration {
    status = "Enabled" # a log overwritten or deleted stays recoverable until the lifecycle expires it
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  count = local.access_logs_create ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = var.access_logs.retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 30
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.access_logs]
}

data "aws_iam_policy_document" "access_logs" {
  count = local.access_logs_create ? 1 : 0

  statement {
    sid       = "ElasticLoadBalancingWritesAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["${local.access_logs_bucket_arn}/${local.access_logs_prefix}AWSLogs/${local.account_id}/*"]

    principals {
      type        = local.elb_log_writer.type
      identifiers = local.elb_log_writer.identifiers
    }
  }

  statement {
    sid       = "DenyRequestsWithoutTls"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [local.access_logs_bucket_arn, "${local.access_logs_bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "access_logs" {
  count = local.access_logs_create ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id
  policy = data.aws_iam_policy_document.access_logs[0].json

  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}
