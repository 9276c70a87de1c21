# Internal Application Load Balancer: the only target of the API Gateway VPC link.
# Its security group starts closed. The vpc_link module opens ingress from the VPC link's security
# group on the listener port; the ecs module opens egress to the tasks' security group on the
# container port. Nothing else reaches or leaves the load balancer.

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
  name                       = var.name
  load_balancer_type         = "application"
  internal                   = var.internal
  subnets                    = var.private_subnet_ids
  security_groups            = [aws_security_group.this.id]
  idle_timeout               = var.idle_timeout
  enable_deletion_protection = var.deletion_protection_enabled
  drop_invalid_header_fields = var.drop_invalid_header_fields

  tags = merge(var.tags, { Name = var.name })

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
  port              = var.listener_port
  protocol          = var.listener_protocol
  certificate_arn   = var.listener_protocol == "HTTPS" ? var.listener_certificate_arn : null
  ssl_policy        = var.listener_protocol == "HTTPS" ? var.listener_ssl_policy : null

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }

  tags = merge(var.tags, { Name = "${var.name}-${lower(var.listener_protocol)}-${var.listener_port}" })

  lifecycle {
    precondition {
      condition     = var.listener_protocol == "HTTP" || var.listener_certificate_arn != null
      error_message = "An HTTPS listener needs listener_certificate_arn."
    }
  }
}
