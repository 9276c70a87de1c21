name                = "shop-test"
availability_zones  = ["eu-west-1a", "eu-west-1b"]
nat_gateway_enabled = true
