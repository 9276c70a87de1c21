name                     = "shop-prod"
listener_protocol        = "HTTPS"
listener_port            = 443
listener_certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/0f2b6a54-3c1d-4e8f-9a7b-2c6d5e4f3a21"
target_port              = 3000
health_check             = { path = "/healthz", matcher = "200", interval = 10, timeout = 4 }
