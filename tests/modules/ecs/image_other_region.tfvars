name            = "shop-test"
container_image = "123456789012.dkr.ecr.us-west-2.amazonaws.com/shop:1.4.2"
