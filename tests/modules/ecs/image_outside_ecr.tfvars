# Without internet egress only ECR is reachable: the task would fail with CannotPullContainerError.
name            = "shop-test"
container_image = "nginx:1.27"
