name               = "shop-test"
private_subnet_ids = ["subnet-0123456789abcdef0"]
