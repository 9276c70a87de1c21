# vpc_id and private_subnet_ids come from the stacks.yaml placeholders. The defaults want a
# certificate: the listener speaks HTTPS unless told otherwise (see http.tfvars).
name                     = "shop-test"
listener_certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/0f2b6a54-3c1d-4e8f-9a7b-2c6d5e4f3a21"
