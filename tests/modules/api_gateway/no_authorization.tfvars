# Authorization left to the application (dev, local): every route open, stated explicitly.
name               = "shop-test"
authorization_type = "NONE"
