# The mistake the architecture must make impossible: a VPC link cannot reach an internet-facing ALB.
name     = "shop-test"
internal = false
