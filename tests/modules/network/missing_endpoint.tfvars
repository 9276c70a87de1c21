# Without the ecr.dkr endpoint tasks cannot pull their image: refused.
name                            = "shop-test"
availability_zones              = ["eu-west-1a", "eu-west-1b"]
vpc_endpoint_interface_services = ["ecr.api", "logs"]
