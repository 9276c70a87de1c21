name                = "shop-test"
schedule_expression = "rate(2 days)"
