name            = "shop-test"
container_image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.4.2"
desired_count   = 1
autoscaling     = { enabled = true, min_capacity = 2, max_capacity = 4 }
