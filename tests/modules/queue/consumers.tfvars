# The worker service of the ecs stack consumes the queue: its task role gets the consumer policy.
name                    = "shop-test"
consumer_services       = ["worker"]
service_task_role_names = { worker = "shop-test-worker-task", web = "shop-test-web-task" }
