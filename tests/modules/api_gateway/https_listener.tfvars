name                             = "shop-prod"
listener_protocol                = "HTTPS"
integration_tls_server_name      = "shop.internal.example.com"
integration_timeout_milliseconds = 10000
throttling_burst_limit           = 2000
throttling_rate_limit            = 5000
access_log_retention_in_days     = 365
cors                             = { allow_origins = ["https://shop.example.com"], allow_methods = ["GET", "POST"] }
