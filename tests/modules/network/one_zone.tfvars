# An ALB and a VPC link need two zones; the module wants one private subnet per zone.
name                 = "shop-test"
availability_zones   = ["eu-west-1a", "eu-west-1b"]
private_subnet_cidrs = ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"]
