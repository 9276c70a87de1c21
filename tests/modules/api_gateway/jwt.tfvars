# Production's shape: HTTPS to the listener, JWT authorization on every route but the keep-alive's
# health path, the access logs under a key the caller manages.
name                        = "shop-prod"
listener_protocol           = "HTTPS"
integration_tls_server_name = "shop.internal.example.com"
authorization_type          = "JWT"
jwt_issuer                  = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
jwt_audience                = ["4k2n6v8c0e1g3i5k7m9o1q3s5u"]
jwt_authorization_scopes    = ["shop/api"]
unauthenticated_route_keys  = ["GET /health"]
access_log_kms_key_arn      = "arn:aws:kms:eu-west-1:123456789012:key/1f2e3d4c-5b6a-4789-8a7b-6c5d4e3f2a1b"
