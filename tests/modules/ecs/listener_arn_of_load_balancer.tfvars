# A load balancer ARN where the listener's is expected.
name            = "shop-test"
container_image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.4.2"
listener_arn    = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop-test/0123456789abcdef"
