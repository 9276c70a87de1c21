# Private DNS of the Interface endpoints needs DNS hostnames: refused before apply.
name                 = "shop-test"
availability_zones   = ["eu-west-1a", "eu-west-1b"]
enable_dns_hostnames = false
