name              = "shop-test"
listener_protocol = "HTTPS"
listener_port     = 443
