# HTTP API VPC link into the private subnets. Its security group may reach the ALB listener and
# nothing else, and the ALB's security group admits the VPC link and nothing else.

resource "aws_security_group" "this" {
  name_prefix = "${var.name}-vpclink-"
  description = "API Gateway VPC link ${var.name}: egress to the ALB listener only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-vpclink" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "vpc_link_to_alb" {
  security_group_id            = aws_security_group.this.id
  description                  = "ALB listener"
  ip_protocol                  = "tcp"
  from_port                    = var.listener_port
  to_port                      = var.listener_port
  referenced_security_group_id = var.alb_security_group_id

  tags = merge(var.tags, { Name = "${var.name}-vpclink-to-alb" })
}

resource "aws_vpc_security_group_ingress_rule" "alb_from_vpc_link" {
  security_group_id            = var.alb_security_group_id
  description                  = "Listener port from the API Gateway VPC link ${var.name}"
  ip_protocol                  = "tcp"
  from_port                    = var.listener_port
  to_port                      = var.listener_port
  referenced_security_group_id = aws_security_group.this.id

  tags = merge(var.tags, { Name = "${var.name}-alb-from-vpclink" })
}

resource "aws_apigatewayv2_vpc_link" "this" {
  name               = var.name
  subnet_ids         = var.private_subnet_ids
  security_group_ids = [aws_security_group.this.id]

  tags = merge(var.tags, { Name = var.name })

  # The link is usable once the path to the ALB is open.
  depends_on = [
    aws_vpc_security_group_egress_rule.vpc_link_to_alb,
    aws_vpc_security_group_ingress_rule.alb_from_vpc_link,
  ]
}
