name                  = "shop-prod"
container_image       = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop@sha256:6b1f2a0c3d4e5f60718293a4b5c6d7e8f9012345678901234567890abcdef012"
container_port        = 3000
container_environment = { LOG_LEVEL = "info", FEATURE_X = "on" }
task_size             = { cpu = 1024, memory = 3072 }
task_cpu_architecture = "ARM64"
desired_count         = 3
autoscaling           = { enabled = true, min_capacity = 3, max_capacity = 12, cpu_target_percent = 55, memory_target_percent = 70 }
log_retention_in_days = 365
task_role_policy_json = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::shop-assets/*\"}]}"
