# api_id and api_endpoint come from the stacks.yaml placeholders.
name = "shop-test"
