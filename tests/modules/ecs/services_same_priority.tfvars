name            = "shop-test"
container_image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.4.2"
services = {
  orders = { image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/orders:2.0.1", route = { path_prefix = "/orders", priority = 10 } }
  admin  = { image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/admin:0.3.0", route = { path_prefix = "/admin", priority = 10 } }
}
