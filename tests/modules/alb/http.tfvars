# Plain HTTP between API Gateway and the ALB inside the VPC (no certificate), chosen explicitly:
# port 80, no TLS policy. Access logs to an existing bucket, no deletion protection (a throwaway
# environment).
name                        = "shop-test"
listener_protocol           = "HTTP"
deletion_protection_enabled = false
access_logs                 = { bucket = "shop-central-alb-logs", prefix = "shop/test" }
