name                = "shop-dev"
schedule_expression = "rate(1 day)"
health_path         = "/status/ready"
idle_alarm_enabled  = false
alarm_actions       = ["arn:aws:sns:eu-west-1:123456789012:ops"]
