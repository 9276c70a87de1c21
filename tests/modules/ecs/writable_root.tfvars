# A path that would shadow the whole filesystem is refused.
name                     = "shop-test"
container_image          = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.4.2"
container_writable_paths = ["/"]
