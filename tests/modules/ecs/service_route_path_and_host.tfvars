name            = "shop-test"
container_image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.4.2"
services = {
  orders = { image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/orders:2.0.1", route = { path_prefix = "/orders", host = "orders.example.com", priority = 10 } }
}
