# vpc_link_id and listener_arn come from the stacks.yaml placeholders.
name = "shop-test"
