# An HTTPS listener without a TLS configuration: API Gateway would send plain HTTP to it.
name              = "shop-test"
listener_protocol = "HTTPS"
