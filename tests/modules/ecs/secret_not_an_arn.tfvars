# A secret given by value instead of by reference is refused.
name              = "shop-test"
container_image   = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.4.2"
container_secrets = { DB_PASSWORD = "hunter2" }
