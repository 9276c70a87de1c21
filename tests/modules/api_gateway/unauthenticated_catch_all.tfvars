# Opening the catch-all route would open the whole API.
name                       = "shop-test"
unauthenticated_route_keys = ["ANY /{proxy+}"]
