# A service routed by host: the integration tells the listener which domain the client called.
name                  = "shop-test"
forwarded_host_header = "x-api-host"
