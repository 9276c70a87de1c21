name                 = "shop-test"
availability_zones   = ["eu-west-1a", "eu-west-1b"]
vpc_cidr_block       = "10.1.0.0/16"
private_subnet_cidrs = ["10.1.0.0/20", "10.2.16.0/20"]
