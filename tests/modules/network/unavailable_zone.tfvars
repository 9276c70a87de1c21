# A zone the region does not have (a typo) is refused before anything is created.
name               = "shop-test"
availability_zones = ["eu-west-1a", "eu-west-1q"]
