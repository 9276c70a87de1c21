# A TLS policy that still speaks TLS 1.0 and 1.1 is refused.
name                     = "shop-test"
listener_certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/0f2b6a54-3c1d-4e8f-9a7b-2c6d5e4f3a21"
listener_ssl_policy      = "ELBSecurityPolicy-2016-08"
