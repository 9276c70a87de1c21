# A private integration targets a listener; a target group ARN is refused before the plan.
name         = "shop-test"
listener_arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-test-tg/0123456789abcdef"
