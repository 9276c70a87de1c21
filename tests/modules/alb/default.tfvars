# vpc_id and private_subnet_ids come from the stacks.yaml placeholders.
name = "shop-test"
