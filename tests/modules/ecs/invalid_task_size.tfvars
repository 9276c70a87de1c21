name            = "shop-test"
container_image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.4.2"
task_size       = { cpu = 256, memory = 4096 }
