name                  = "shop-test"
forwarded_host_header = "x-forwarded-host"
