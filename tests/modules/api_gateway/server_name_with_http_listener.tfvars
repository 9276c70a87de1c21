# A TLS configuration towards an HTTP listener: API Gateway would speak HTTPS to it.
name                        = "shop-test"
integration_tls_server_name = "shop.internal.example.com"
