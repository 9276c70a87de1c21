# Network and ALB inputs come from the stacks.yaml placeholders.
name            = "shop-test"
container_image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.4.2"
