name                       = "shop-test"
visibility_timeout_seconds = 120
max_receive_count          = 3
