# Two routed services and a worker beside the main service, in the same cluster.
name            = "shop-test"
container_image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.4.2"
services = {
  orders = {
    image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/orders:2.0.1"
    port  = 9000
    route = { path_prefix = "/orders", priority = 10 }
    secrets = {
      DB_PASSWORD = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-db-AbCdEf:password::"
    }
    health_check = { path = "/orders/health" }
  }
  admin = {
    image         = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/admin:0.3.0"
    route         = { host = "admin.shop.example.com", priority = 20 }
    desired_count = 2
    autoscaling   = { enabled = true, min_capacity = 2, max_capacity = 6 }
  }
  worker = {
    image       = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/worker:1.0.0"
    environment = { QUEUE_NAME = "shop-test-jobs" }
    command     = ["worker", "--queue", "shop-test-jobs"]
  }
}
