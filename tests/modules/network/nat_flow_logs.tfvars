# Everything optional switched on: three zones, public subnets, one NAT gateway per zone, flow logs,
# an extra Interface endpoint.
name                            = "shop-prod"
vpc_cidr_block                  = "10.40.0.0/16"
availability_zones              = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
private_subnet_cidrs            = ["10.40.0.0/19", "10.40.32.0/19", "10.40.64.0/19"]
public_subnet_cidrs             = ["10.40.192.0/24", "10.40.193.0/24", "10.40.194.0/24"]
nat_gateway_enabled             = true
nat_gateway_single              = false
vpc_endpoint_interface_services = ["ecr.api", "ecr.dkr", "logs", "secretsmanager"]
flow_log_enabled                = true
flow_log_traffic_type           = "REJECT"
flow_log_retention_in_days      = 90
tags                            = { CostCentre = "shop" }
