# Every other input comes from the stacks.yaml placeholders (network and alb outputs).
name = "shop-test"
