name                    = "shop-test"
consumer_services       = ["billing"]
service_task_role_names = { worker = "shop-test-worker-task" }
