# A VPC link goes INACTIVE after 60 idle days: a keep-alive every 45 days is refused.
name                = "shop-test"
schedule_expression = "rate(45 days)"
