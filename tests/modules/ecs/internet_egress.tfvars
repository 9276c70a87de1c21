# An image outside ECR is accepted only with internet egress (NAT gateways in the network).
name                    = "shop-dev"
container_image         = "ghcr.io/example/shop:1.4.2"
internet_egress_enabled = true
desired_count           = 1
